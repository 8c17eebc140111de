// The cases of the hostile-bucket corpus: each rewrites one object of a copy of the healthy base bucket
// (hostile-buckets.ts), names the command to run and what pgdr must answer. Messages must name the object key
// (and the tar member where there is one). `fixedBy` says which item of issue 16 covers the case.
import { promises as fsp } from 'node:fs';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { compressBuffer } from '../../src/compression/codecs.js';
import {
  COMPRESSIONS,
  type Compression,
  TAR_COMPRESSIONS,
  type TarCompression,
  tarSuffix,
  walSuffix,
} from '../../src/compression/suffixes.js';
import { ERRORS } from '../../src/errors.js';
import {
  cutAfterMember,
  cutInsideMember,
  flipDataByte,
  garbage,
  prepend,
  tarBomb,
  tarSpans,
  walBomb,
  withMode,
  withoutMember,
} from './hostile-bucket-bytes.js';
import type { BaseBucket, CaseBucket, Layout } from './hostile-buckets.js';
import { type RawMember, tarOf } from './hostile-tar.js';
import { q } from './poll.js';

export type RunKind = 'restore' | 'restore-start' | 'wal-restore';

export interface BuildContext {
  readonly layout: Layout;
  readonly base: BaseBucket;
  /** The folder the case restores into. */
  readonly target: string;
}

export interface HostileCase {
  readonly name: string;
  /** How the bucket differs from the healthy one. */
  readonly what: string;
  /** restore: `restore --no-start`; restore-start: a full restore; wal-restore: `wal restore NAME DEST`. */
  readonly run: RunKind;
  /** For wal-restore: the WAL name asked for (default: the damaged segment, base.victimWal). */
  readonly wal?: (b: BaseBucket) => string;
  readonly expect: { readonly code: number; readonly message: RegExp };
  readonly fixedBy: string;
  /** After the run, the target holds fewer bytes than this (a bomb did not fill the disk). */
  readonly limitBytes?: number;
  build(b: CaseBucket, ctx: BuildContext): Promise<void>;
  /** More checks after a run that succeeded: its target and standard output. */
  verify?(target: string, stdout: string, base: BaseBucket): Promise<void>;
}

const INVALID = ERRORS.CATALOG_INVALID.exitCode;
const TAR_BOMB_BYTES = 200 << 20;
const WAL_BOMB_BYTES = 64 << 20;
const SEGMENT = 16 << 20;

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
/** Every part, in any order, somewhere in the output. */
const all = (...parts: string[]) => new RegExp(parts.map((p) => `(?=[\\s\\S]*${p})`).join(''));
const DATA = String.raw`base/\d{8}T\d{6}/data\.tar`;
const dataKey = (c: TarCompression) => `${DATA}${esc(tarSuffix(c).slice(4))}(?![.\\w])`;
const walKeyRe = (c: Compression) => String.raw`wals/[0-9A-F]{16}/[0-9A-F]{24}${esc(walSuffix(c))}(?![.\w])`;
const member = (name: string) => `'${esc(name)}'`;

/** A raw member; names too long for ustar go into a PAX path record. */
function raw(m: RawMember): RawMember {
  return Buffer.byteLength(m.name) < 100 ? m : { ...m, pax: { path: m.name } };
}
const members = (ms: RawMember[]) => tarOf(ms.map(raw), { end: false });

function tarCase(
  name: string,
  what: string,
  fixedBy: string,
  message: RegExp,
  edit: (tar: Buffer, ctx: BuildContext) => Buffer,
): HostileCase {
  return {
    name,
    what,
    run: 'restore',
    expect: { code: INVALID, message },
    fixedBy,
    build: (b, ctx) => b.put(`${b.backupPrefix}data.tar`, edit(ctx.base.dataTar, ctx)),
  };
}

const ITEM1 = '1 (links; on main: tar-extract.ts)';
const ITEM2 = '2 (tar end-of-archive and sizes; on main: tar/reader.ts)';
const ITEM2_TRUST = '2 (required files, pgdr manifest: restore-trust)';
const ITEM4 = '4 (metadata caps; on main: tar/reader.ts)';

/**
 * A file every restored data folder needs, missing from data.tar: caught by the pgdr manifest, and without
 * one (a barman-written backup) by the check of the restored folder.
 */
function missingFileCases(file: string): HostileCase[] {
  const slug = file.replace('global/', '');
  const withManifest = tarCase(
    `tar-no-${slug}`,
    `data.tar without its ${file} member`,
    ITEM2_TRUST,
    all(esc(file)),
    (tar) => withoutMember(tar, file),
  );
  const barman: HostileCase = {
    ...withManifest,
    name: `tar-no-${slug}-no-manifest`,
    what: `data.tar without its ${file} member, and no pgdr manifest (as barman-cloud-backup writes)`,
    build: async (b, ctx) => {
      await withManifest.build(b, ctx);
      await b.remove(`${b.backupPrefix}pgdr.json`);
    },
  };
  return [withManifest, barman];
}

const TAR_CASES: HostileCase[] = [
  tarCase(
    'tar-symlink-then-file',
    "symlink 'evil' -> SENTINEL/file, then a regular file 'evil'",
    ITEM1,
    all(DATA, member('evil')),
    (tar, { layout }) =>
      prepend(
        tar,
        members([
          { name: 'evil', type: '2', linkname: join(layout.sentinel, 'file') },
          { name: 'evil', data: 'overwritten through a link\n', mode: 0o644 },
        ]),
      ),
  ),
  tarCase(
    'tar-hardlink-to-symlink',
    "symlink 's' -> SENTINEL, hard link 'h' to 's', then a file 'h/x'",
    ITEM1,
    all(DATA, "'(s|h|h/x)'"),
    (tar, { layout }) =>
      prepend(
        tar,
        members([
          { name: 's', type: '2', linkname: layout.sentinel },
          { name: 'h', type: '1', linkname: 's' },
          { name: 'h/x', data: 'written through a hard link\n' },
        ]),
      ),
  ),
  tarCase(
    'tar-dir-through-symlink',
    "symlink 'd' -> SENTINEL, then a directory 'd' with mode 0777",
    ITEM1,
    all(DATA, member('d')),
    (tar, { layout }) =>
      prepend(
        tar,
        members([
          { name: 'd', type: '2', linkname: layout.sentinel },
          { name: 'd', type: '5', mode: 0o777 },
        ]),
      ),
  ),
  tarCase(
    'tar-absolute-member',
    'a member named SENTINEL/abs (an absolute path)',
    ITEM1,
    all(DATA, 'absolute', 'sentinel/abs'),
    (tar, { layout }) => prepend(tar, members([{ name: join(layout.sentinel, 'abs'), data: 'abs\n' }])),
  ),
  tarCase(
    'tar-dotdot-member',
    "a member '../../../sentinel/dotdot' (climbs from the target to the sentinel)",
    ITEM1,
    all(DATA, esc("'..'")),
    (tar, { layout, target }) =>
      prepend(tar, members([{ name: relative(target, join(layout.sentinel, 'dotdot')), data: 'up\n' }])),
  ),
  tarCase('tar-empty', 'data.tar of 0 bytes', ITEM2, all(DATA), () => Buffer.alloc(0)),
  tarCase(
    'tar-cut-at-member-boundary',
    'data.tar cut after its middle member: no end-of-archive blocks',
    ITEM2,
    all(DATA),
    (tar) => cutAfterMember(tar, Math.floor(tarSpans(tar).members.length / 2)),
  ),
  tarCase(
    'tar-cut-inside-member',
    'data.tar cut in the middle of the data of its first member of 8 KiB or more',
    ITEM2,
    all(DATA),
    (tar) => cutInsideMember(tar).tar,
  ),
  tarCase(
    'tar-pax-size-abc',
    "a PAX header with size=abc before a member 'paxabc'",
    '3 (numeric fields; on main: tar/header.ts)',
    all(DATA, 'size'),
    (tar) => prepend(tar, members([{ name: 'paxabc', pax: { size: 'abc' }, data: 'hello\n' }])),
  ),
  tarCase(
    'tar-pax-size-2^50',
    "a PAX header claiming size=2^50 before a 6-byte member 'paxhuge'",
    ITEM4,
    all(DATA),
    (tar) => prepend(tar, members([{ name: 'paxhuge', pax: { size: String(2 ** 50) }, data: 'hello\n' }])),
  ),
  tarCase(
    'tar-pax-2mib-record',
    "a 2 MiB PAX record before a member 'paxbig'",
    ITEM4,
    all(DATA, '(PAX|extended header)'),
    (tar) =>
      prepend(tar, members([{ name: 'paxbig', pax: { comment: 'x'.repeat(2 << 20) }, data: 'hello\n' }])),
  ),
  tarCase('tar-fifo', "a FIFO member 'fifo'", ITEM1, all(DATA, member('fifo')), (tar) =>
    prepend(tar, members([{ name: 'fifo', type: '6' }])),
  ),
  tarCase('tar-char-device', "a character device member 'dev'", ITEM1, all(DATA, member('dev')), (tar) =>
    prepend(tar, members([{ name: 'dev', type: '3' }])),
  ),
  ...['backup_label', 'PG_VERSION', 'global/pg_control'].flatMap(missingFileCases),
  tarCase(
    'tar-flipped-byte',
    'one data byte of base/1/1259 inverted (the pgdr manifest CRC no longer matches)',
    ITEM2_TRUST,
    all(DATA, 'base/1/1259'),
    (tar) => flipDataByte(tar, 'base/1/1259'),
  ),
  tarCase(
    'tar-member-removed',
    'data.tar without base/1/1249 (listed in the pgdr manifest)',
    ITEM2_TRUST,
    all('base/1/1249'),
    (tar) => withoutMember(tar, 'base/1/1249'),
  ),
  {
    name: 'tar-setuid',
    what: 'postgresql.conf with mode 06755 and the base/ directory with mode 02700',
    run: 'restore',
    expect: { code: 0, message: /^/ },
    fixedBy: '10 (mode masks; on main: tar-extract.ts)',
    build: (b, { base }) =>
      b.put(
        `${b.backupPrefix}data.tar`,
        withMode(withMode(base.dataTar, 'postgresql.conf', 0o6755), 'base', 0o2700),
      ),
    async verify(target) {
      const file = (await fsp.stat(join(target, 'postgresql.conf'))).mode;
      const dir = (await fsp.stat(join(target, 'base'))).mode;
      if ((file & 0o7000) !== 0 || (dir & 0o6000) !== 0) {
        throw new Error(
          `set-id bits kept: postgresql.conf ${(file & 0o7777).toString(8)}, base ${(dir & 0o7777).toString(8)}`,
        );
      }
    },
  },
];

const compressedTars = new WeakMap<Buffer, Map<Compression, Promise<Buffer>>>();
/** data.tar (or a WAL segment) through codec c, computed once per run. */
function compressedOnce(buf: Buffer, c: Compression): Promise<Buffer> {
  const m = compressedTars.get(buf) ?? new Map<Compression, Promise<Buffer>>();
  compressedTars.set(buf, m);
  const p = m.get(c) ?? compressBuffer(c, buf);
  m.set(c, p);
  return p;
}

function tarCompressionCases(c: TarCompression): HostileCase[] {
  const name = `data${tarSuffix(c)}`;
  const fixedBy = c === 'none' ? ITEM2 : `2 (${c} stream errors named by key; on main: download.ts)`;
  const cases: HostileCase[] = [
    {
      name: `tar-${c}-healthy`,
      what: `the backup's data.tar stored as ${name} (control: must restore)`,
      run: 'restore',
      expect: { code: 0, message: /./ },
      fixedBy: '(control)',
      build: async (b, { base }) => b.putDataTar(c, await compressedOnce(base.dataTar, c)),
    },
    {
      name: `tar-${c}-garbage`,
      what: `64 KiB of garbage stored as ${name}`,
      run: 'restore',
      expect: { code: INVALID, message: all(dataKey(c)) },
      fixedBy,
      build: (b) => b.putDataTar(c, garbage(64 << 10, `tar-${c}`)),
    },
    {
      name: `tar-${c}-truncated`,
      what: `${name} cut to half its size`,
      run: 'restore',
      expect: { code: INVALID, message: all(dataKey(c)) },
      fixedBy,
      build: async (b, { base }) => {
        const z = await compressedOnce(base.dataTar, c);
        await b.putDataTar(c, z.subarray(0, Math.floor(z.length / 2)));
      },
    },
  ];
  // An uncompressed bomb would be as big as what it inflates to: tar-pax-size-2^50 is its counterpart.
  if (c !== 'none') {
    cases.push({
      name: `tar-${c}-bomb`,
      what: `${name}: a tar of one 200 MiB file of zeros, compressed`,
      run: 'restore',
      expect: { code: INVALID, message: all(dataKey(c)) },
      fixedBy: '4 (extraction bounded by the manifest bytes: restore-trust)',
      limitBytes: 100 << 20,
      build: async (b) => b.putDataTar(c, await tarBomb(c, 'base/1/99999', TAR_BOMB_BYTES)),
    });
  }
  return cases;
}

function walCases(c: Compression): HostileCase[] {
  const fixedBy = '4 (WAL bounded to the segment size: wal-verify)';
  const failing = (
    kind: string,
    what: string,
    body: (seg: Buffer) => Promise<Buffer> | Buffer,
    fix = fixedBy,
  ) => ({
    name: `wal-${c}-${kind}`,
    what: `the segment after the backup's end, stored with suffix '${walSuffix(c)}': ${what}`,
    run: 'wal-restore' as const,
    expect: { code: INVALID, message: all(walKeyRe(c)) },
    fixedBy: fix,
    // The segment and pg_control, no more.
    limitBytes: SEGMENT + (1 << 20),
    build: async (b: CaseBucket, { base }: BuildContext) =>
      b.putWal(base.victimWal, c, await body(base.victimSegment)),
  });
  return [
    {
      ...failing('healthy', 'the real segment (control: must restore)', (seg) => compressedOnce(seg, c)),
      expect: { code: 0, message: /^/ },
      fixedBy: '(control)',
      async verify(target) {
        const size = (await fsp.stat(join(target, 'pg_wal', 'RECOVERYXLOG'))).size;
        if (size !== SEGMENT) throw new Error(`restored ${size} bytes`);
      },
    },
    failing(
      'garbage',
      '4 KiB of garbage',
      () => garbage(4096, `wal-${c}`),
      c === 'none' ? fixedBy : `4/11 (${c} errors)`,
    ),
    failing('truncated', 'the compressed segment cut to half', async (seg) => {
      const z = await compressedOnce(seg, c);
      return z.subarray(0, Math.floor(z.length / 2));
    }),
    failing('bomb', 'the segment then zeros, 64 MiB in all', (seg) => walBomb(c, seg, WAL_BOMB_BYTES)),
    failing('short', 'only the first 1 MiB of the segment', (seg) =>
      compressBuffer(c, seg.subarray(0, 1 << 20)),
    ),
  ];
}

/** Full restores (PostgreSQL started) with the damaged segment after the backup's end: recovery needs it. */
function fullRestoreCases(): HostileCase[] {
  const walOnly = walCases('gzip').filter((x) => x.name !== 'wal-gzip-healthy');
  return [
    {
      name: 'restore-start-healthy',
      what: 'the healthy bucket, restored to the end of its WAL (control: every row, the last segment replayed)',
      run: 'restore-start',
      expect: { code: 0, message: /"promoted"/ },
      fixedBy: '(control)',
      build: async () => undefined,
      async verify(_target, stdout, base) {
        const [row] = await q<{ n: string }>(
          JSON.parse(stdout).server.connectionString,
          'SELECT count(*) AS n FROM t',
        );
        if (Number(row?.n) !== base.rows) throw new Error(`restored ${row?.n} rows of t, not ${base.rows}`);
      },
    },
    ...walOnly.map((x) => ({
      ...x,
      name: x.name.replace(/^wal-gzip-/, 'restore-wal-'),
      run: 'restore-start' as const,
      fixedBy:
        'none yet: restore_command exit 15 reads as "not found" to PostgreSQL, which ends recovery early',
      limitBytes: 200 << 20,
    })),
  ];
}

const HISTORY = '00000002.history';

const CATALOG_CASES: HostileCase[] = [
  {
    name: 'info-garbage',
    what: 'backup.info replaced by 2 KiB of garbage',
    run: 'restore',
    expect: { code: INVALID, message: all(String.raw`base/\d{8}T\d{6}/backup\.info`) },
    fixedBy: '11 (unreadable backup.info is CATALOG_INVALID, not NO_BACKUPS)',
    build: (b) => b.put(`${b.backupPrefix}backup.info`, garbage(2048, 'info')),
  },
  {
    name: 'info-truncated',
    what: 'backup.info cut to its first 40%',
    run: 'restore',
    expect: { code: INVALID, message: all(String.raw`base/\d{8}T\d{6}/backup\.info`) },
    fixedBy: '11 (unreadable backup.info is CATALOG_INVALID, not NO_BACKUPS)',
    build: async (b) => {
      const info = await b.read(`${b.backupPrefix}backup.info`);
      await b.put(`${b.backupPrefix}backup.info`, info.subarray(0, Math.floor(info.length * 0.4)));
    },
  },
  {
    name: 'info-relative-tablespace',
    what: "backup.info lists tablespace 'evil' (oid 16385) at the relative location 'rel/ts', with its 16385.tar",
    run: 'restore',
    expect: { code: INVALID, message: all('backup\\.info', 'rel/ts') },
    fixedBy: '8 (absolute tablespace locations: restore-trust)',
    build: (b) => addTablespace(b, 'rel/ts'),
  },
  {
    name: 'info-tablespace-at-sentinel',
    what: "backup.info lists tablespace 'evil' (oid 16385) at SENTINEL, a folder that is not empty",
    run: 'restore',
    expect: { code: ERRORS.DIR_NOT_EMPTY.exitCode, message: all('sentinel') },
    fixedBy: '8/14 (every target folder checked empty: restore-trust)',
    build: (b, { layout }) => addTablespace(b, layout.sentinel),
  },
  {
    name: 'history-garbage-restore',
    what: `${HISTORY}.gz (a later timeline) holding 512 bytes of garbage; restore goes on, naming it`,
    run: 'restore',
    expect: { code: 0, message: all(`wals/${HISTORY}\\.gz`) },
    fixedBy: '(plan note; history parser fuzzing: fuzz-parsers)',
    build: (b) => b.put(b.walKey(HISTORY, 'gzip'), garbage(512, 'history')),
  },
  {
    name: 'history-garbage-wal-restore',
    what: `${HISTORY}.gz holding 512 bytes of garbage, fetched by wal restore`,
    run: 'wal-restore',
    wal: () => HISTORY,
    expect: { code: INVALID, message: all(`wals/${HISTORY}\\.gz`) },
    fixedBy: '11 (gzip errors named by key)',
    build: (b) => b.put(b.walKey(HISTORY, 'gzip'), garbage(512, 'history')),
  },
  {
    name: 'history-bomb-wal-restore',
    what: `${HISTORY}.gz inflating to 64 MiB, fetched by wal restore`,
    run: 'wal-restore',
    wal: () => HISTORY,
    expect: { code: INVALID, message: all(`wals/${HISTORY}\\.gz`) },
    fixedBy: '4 (history files capped at 1 MiB: wal-verify)',
    limitBytes: 2 << 20,
    build: async (b) =>
      b.put(
        b.walKey(HISTORY, 'gzip'),
        gzipSync(Buffer.alloc(WAL_BOMB_BYTES, '1\t0/3000000\tno recovery target specified\n')),
      ),
  },
];

/** A tablespace in backup.info at `location`, with a small 16385.tar and its entry in the pgdr manifest. */
async function addTablespace(b: CaseBucket, location: string): Promise<void> {
  const key = `${b.backupPrefix}backup.info`;
  const info = (await b.read(key)).toString('utf8');
  if (!/^tablespaces=None$/m.test(info)) throw new Error('the base backup already has tablespaces');
  await b.put(
    key,
    Buffer.from(info.replace(/^tablespaces=None$/m, `tablespaces=[('evil', 16385, '${location}')]`)),
  );
  await b.put(`${b.backupPrefix}16385.tar`, tarOf([{ name: 'PG_17_202406281/', type: '5', mode: 0o700 }]));
  await b.editManifest((m) => {
    m.tars.push({ key: '16385.tar', group: '16385', part: 0, dataBytes: 0, storedBytes: 2048, files: [] });
  });
}

export const HOSTILE_CASES: readonly HostileCase[] = [
  ...TAR_CASES,
  ...TAR_COMPRESSIONS.flatMap(tarCompressionCases),
  ...COMPRESSIONS.flatMap(walCases),
  ...fullRestoreCases(),
  ...CATALOG_CASES,
];
