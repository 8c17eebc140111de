// Hostile-bucket cases over the backup's data tar: hostile members (links, absolute and '..' names, devices),
// cut and empty tars, PAX abuse, missing required files, manifest mismatches, set-id modes; and per tar
// compression a healthy control, garbage, a truncated stream and a decompression bomb.
import { promises as fsp } from 'node:fs';
import { join, relative } from 'node:path';
import { TAR_COMPRESSIONS, type TarCompression, tarSuffix } from '../../src/compression/suffixes.js';
import {
  cutAfterMember,
  cutInsideMember,
  flipDataByte,
  garbage,
  prepend,
  tarBomb,
  tarSpans,
  withMode,
  withoutMember,
} from './hostile-bucket-bytes.js';
import {
  all,
  type BuildContext,
  compressedOnce,
  DATA,
  dataKey,
  esc,
  type HostileCase,
  INVALID,
  member,
} from './hostile-case-kit.js';
import { type RawMember, tarOf } from './hostile-tar.js';

const TAR_BOMB_BYTES = 200 << 20;

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

export function tarCompressionCases(c: TarCompression): HostileCase[] {
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
  if (c === 'gzip') cases.push(...gzipFramingCases(fixedBy));
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

/** The gzip member's own checks, which pgdr makes itself: the trailer, and nothing after it. */
function gzipFramingCases(fixedBy: string): HostileCase[] {
  const framing = (name: string, what: string, word: string, edit: (z: Buffer) => Buffer): HostileCase => ({
    name: `tar-gzip-${name}`,
    what: `data.tar.gz ${what}`,
    run: 'restore',
    expect: { code: INVALID, message: all(dataKey('gzip'), word) },
    fixedBy,
    build: async (b, ctx) =>
      b.putDataTar('gzip', edit(Buffer.from(await compressedOnce(ctx.base.dataTar, 'gzip')))),
  });
  const flip = (at: (z: Buffer) => number, bits: number) => (z: Buffer) => {
    z[at(z)]! ^= bits;
    return z;
  };
  return [
    framing(
      'trailer-crc',
      "whose trailer's CRC-32 is off by one bit, its data intact",
      'CRC-32',
      flip((z) => z.length - 8, 1),
    ),
    framing(
      'trailer-length',
      "whose trailer's length is 256 off the data's",
      'trailer',
      flip((z) => z.length - 3, 1),
    ),
    framing('trailing-bytes', 'followed by the start of a second gzip member', 'follow', (z) =>
      Buffer.concat([z, z.subarray(0, 64)]),
    ),
  ];
}

export const DATA_TAR_CASES: readonly HostileCase[] = [
  ...TAR_CASES,
  ...TAR_COMPRESSIONS.flatMap(tarCompressionCases),
];
