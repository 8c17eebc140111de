// `pgdr retention apply` run as a user runs it, against a table of incremental-chain cases (the rules of
// test/unit/retention-chains.test.ts, end to end): each case gets a fresh file:// bucket of fake but well-formed
// objects (backup.info as pgdr writes it, a real tar, pgdr.json, pgdr-chain.json for incrementals, archived WAL
// with .backup labels), no PostgreSQL. Checked: the exit code, the JSON report (status of every backup, what is
// deleted and in which order, which WAL goes), then, apart from the report, what is left on disk; a second run
// must find nothing more to delete. One dry run must leave the bucket untouched byte for byte. And `backup delete`
// and `backup keep` (and `backup show`) name an incremental by its ID: a leaf (or a FAILED one) is deleted alone, a parent refused, a
// keep written in its own folder and honoured by retention.
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import { parseBackupInfo } from '../../src/catalog/backup-info.js';
import { parseBackupManifest } from '../../src/catalog/backup-manifest.js';
import {
  CHAIN_NAME,
  chainJson,
  INCREMENTAL_FOLDER,
  parseChain,
} from '../../src/catalog/incremental-chain.js';
import { backupInfoText } from '../../src/engine/backup/backup-info-fields.js';
import type { ServerMetadata } from '../../src/engine/backup/pg-backup-api.js';
import { runPgdr } from '../helpers/cli.js';
import { type FakeObject, fakeSegment, segmentName, writeFakeFs } from '../helpers/fake-archive.js';
import { type RawMember, tarOf } from '../helpers/hostile-tar.js';
import { treeHash } from '../helpers/tree-hash.js';

const SERVER = 'pg';
const DAY = 86_400_000;
/** pgdr judges a recovery window against its own clock: the backups are dated relative to the real now. */
const NOW = Math.floor(Date.now() / 1000) * 1000;

interface Spec {
  /** F<n> for full backups, I<n> for incrementals: only a label, the ID comes from the age. */
  readonly name: string;
  /** End time, days before now (whole days: far from any window's edge). */
  readonly age: number;
  readonly parent?: string;
  /** FAILED: written as pgdr writes a backup that failed while copying (no parent link, no end, no manifest). */
  readonly failed?: true;
  /** Body of annotations/keep (written by hand: pgdr backup keep only knows base/). */
  readonly keep?: string;
  /** Not in the bucket (deleted by barman-cloud-backup-delete, say): its incrementals are orphans. */
  readonly absent?: true;
}

const full = (name: string, age: number, extra: Partial<Spec> = {}): Spec => ({ name, age, ...extra });
const inc = (name: string, age: number, parent: string, extra: Partial<Spec> = {}): Spec => ({
  name,
  age,
  parent,
  ...extra,
});
const failedInc = (name: string, age: number): Spec => ({ name, age, failed: true });
const isInc = (s: Spec) => s.parent !== undefined || s.failed === true;

interface Case {
  readonly name: string;
  readonly backups: readonly Spec[];
  readonly policy: string;
  /** The retention column of the report, by name (every backup in the bucket). */
  readonly want: Readonly<Record<string, string>>;
  /** In the order pgdr must delete them: incrementals newest first, then full backups oldest first. */
  readonly deleted: readonly string[];
  /** WAL (segments and .backup labels) before this backup's begin_wal goes; null: no WAL goes. */
  readonly walFrom: string | null;
}

const CASES: Case[] = [
  {
    name: 'REDUNDANCY 1: the older chain goes whole, its incrementals newest first, then its full',
    backups: [full('F1', 29), inc('I2', 28, 'F1'), inc('I3', 27, 'I2'), full('F4', 26), inc('I5', 25, 'F4')],
    policy: 'REDUNDANCY 1',
    want: { F1: 'OBSOLETE', I2: 'OBSOLETE', I3: 'OBSOLETE', F4: 'VALID', I5: 'VALID' },
    deleted: ['I3', 'I2', 'F1'],
    walFrom: 'F4',
  },
  {
    name: 'REDUNDANCY 2 counts full backups only: the third chain back goes, the two newest stay whole',
    backups: [
      full('F1', 29),
      inc('I2', 28, 'F1'),
      full('F3', 27),
      inc('I4', 26, 'F3'),
      full('F5', 25),
      inc('I6', 24, 'F5'),
    ],
    policy: 'REDUNDANCY 2',
    want: { F1: 'OBSOLETE', I2: 'OBSOLETE', F3: 'VALID', I4: 'VALID', F5: 'VALID', I6: 'VALID' },
    deleted: ['I2', 'F1'],
    walFrom: 'F3',
  },
  {
    name: 'RECOVERY WINDOW: the incremental that starts the window keeps its whole chain, an older full goes',
    backups: [
      full('F1', 29),
      full('F10', 20),
      inc('I15', 15, 'F10'),
      inc('I22', 8, 'I15'),
      inc('I25', 5, 'I22'),
      full('F26', 4),
    ],
    policy: 'RECOVERY WINDOW OF 7 DAYS',
    want: { F1: 'OBSOLETE', F10: 'VALID', I15: 'VALID', I22: 'VALID', I25: 'VALID', F26: 'VALID' },
    deleted: ['F1'],
    walFrom: 'F10',
  },
  {
    name: 'RECOVERY WINDOW: a kept chain pins its full far older than the window, the older chain goes whole',
    backups: [
      full('F1', 29),
      inc('I2', 28, 'F1'),
      full('F5', 25),
      inc('I20', 10, 'F5'),
      inc('I26', 4, 'I20'),
    ],
    policy: '7d',
    want: { F1: 'OBSOLETE', I2: 'OBSOLETE', F5: 'VALID', I20: 'VALID', I26: 'VALID' },
    deleted: ['I2', 'F1'],
    walFrom: 'F5',
  },
  {
    name: 'a kept (keep:full) incremental pins its obsolete full; an older full without one goes',
    backups: [full('F1', 29), full('F2', 28), inc('I3', 27, 'F2', { keep: 'full' }), full('F4', 26)],
    policy: 'REDUNDANCY 1',
    want: { F1: 'OBSOLETE', F2: 'VALID', I3: 'KEEP:FULL', F4: 'VALID' },
    deleted: ['F1'],
    walFrom: 'F2',
  },
  {
    name: 'an orphan chain (its full backup gone) is deleted whole, newest first, and takes no WAL',
    backups: [
      full('F1', 29, { absent: true }),
      inc('I2', 28, 'F1'),
      inc('I3', 27, 'I2'),
      full('F4', 26),
      inc('I5', 25, 'F4'),
    ],
    policy: 'REDUNDANCY 1',
    want: { I2: 'OBSOLETE', I3: 'OBSOLETE', F4: 'VALID', I5: 'VALID' },
    deleted: ['I3', 'I2'],
    walFrom: null,
  },
  {
    name: 'a chain whose newest incremental FAILED: the failed one is left alone, the rest of its chain goes',
    backups: [full('F1', 29), inc('I2', 28, 'F1'), failedInc('I3', 27), full('F4', 26)],
    policy: 'REDUNDANCY 1',
    want: { F1: 'OBSOLETE', I2: 'OBSOLETE', I3: '-', F4: 'VALID' },
    deleted: ['I2', 'F1'],
    walFrom: 'F4',
  },
];

const META: ServerMetadata = {
  versionNum: 170002,
  dataDirectory: '/var/lib/postgresql/data',
  segmentSize: 16 * 1024 * 1024,
  configFile: '/var/lib/postgresql/data/postgresql.conf',
  hbaFile: '/var/lib/postgresql/data/pg_hba.conf',
  identFile: '/var/lib/postgresql/data/pg_ident.conf',
  includedFiles: null,
  tablespaces: [],
  systemId: '7448395717409431569',
  archiveMode: 'on',
  archiveCommand: 'pgdr wal archive %p',
  archiveLibrary: '',
  inRecovery: false,
};

/** What the fixture holds: IDs, begin WAL and folder of every backup, and the keys of every WAL object. */
interface Fixture {
  readonly id: ReadonlyMap<string, string>;
  readonly name: ReadonlyMap<string, string>;
  readonly beginWal: ReadonlyMap<string, string>;
  readonly folder: ReadonlyMap<string, string>;
  readonly wal: readonly string[];
}

const pyTime = (ms: number) => `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}+00:00`;
const lsn = (segment: number, offset: number) =>
  `0/${(segment * 0x1000000 + offset).toString(16).toUpperCase()}`;
const crcOf = (b: Buffer | string) => (crc32(b) >>> 0).toString(16).padStart(8, '0');
const fileRows = (members: readonly RawMember[]) =>
  members.map((m) => [m.name, Buffer.byteLength(m.data ?? ''), crcOf(m.data ?? '')] as const);

/** Every object of the case's bucket (keys relative to the destination), checked to parse as pgdr reads them. */
function build(c: Case): { objects: FakeObject[]; fx: Fixture } {
  const byAge = [...c.backups].sort((a, b) => b.age - a.age);
  const spec = new Map(byAge.map((s) => [s.name, s]));
  const id = new Map<string, string>();
  const name = new Map<string, string>();
  const beginWal = new Map<string, string>();
  const folder = new Map<string, string>();
  const objects: FakeObject[] = [];
  const put = (key: string, body: Buffer | string) =>
    objects.push({ key, body: typeof body === 'string' ? Buffer.from(body) : body });
  // Backup j (oldest first) begins and ends in segment 2(j+1); segments 1..2n+1 are archived.
  for (const [j, s] of byAge.entries()) {
    const begin = NOW - s.age * DAY - 60_000;
    const bid = new Date(begin).toISOString().slice(0, 19).replace(/[-:]/g, '');
    id.set(s.name, bid);
    name.set(bid, s.name);
    beginWal.set(s.name, segmentName(2 * (j + 1)));
    folder.set(s.name, `${SERVER}/${isInc(s) ? INCREMENTAL_FOLDER : 'base'}/${bid}/`);
  }
  const chainOf = (n: string): string[] => {
    const p = spec.get(n)!.parent;
    return p === undefined ? [] : [...chainOf(p), id.get(p)!];
  };
  const wal: string[] = [];
  for (let i = 1; i <= 2 * byAge.length + 1; i++) {
    const seg = fakeSegment(SERVER, i);
    objects.push(seg);
    wal.push(seg.key);
  }
  for (const [j, s] of byAge.entries()) {
    if (s.absent) continue;
    const bid = id.get(s.name)!;
    const dir = folder.get(s.name)!;
    const segment = 2 * (j + 1);
    const begin = NOW - s.age * DAY - 60_000;
    const start = { lsn: lsn(segment, 0x28), timeline: 1, time: pyTime(begin) };
    const label = `START WAL LOCATION: ${start.lsn} (file ${segmentName(segment)})\nCHECKPOINT LOCATION: ${lsn(segment, 0x60)}\nBACKUP METHOD: streamed\nBACKUP FROM: primary\nSTART TIME: ${pyTime(begin)}\nLABEL: pgdr\nSTART TIMELINE: 1\n`;
    const relation: RawMember = { name: 'base/1/1259', data: `pages as of ${bid}\n` };
    if (s.failed) {
      // Died while copying: part of a tar, and the FAILED backup.info of engine/backup/failed-info.ts.
      put(`${dir}data.tar`, tarOf([relation], { end: false }));
      put(
        `${dir}backup.info`,
        backupInfoText({
          status: 'FAILED',
          meta: META,
          start,
          error: 'failure uploading data (connection reset by peer)',
        }),
      );
      continue;
    }
    const members: RawMember[] = [
      ...(isInc(s) ? [] : [{ name: 'PG_VERSION', data: '17\n' }]),
      relation,
      { name: 'backup_label', data: label },
    ];
    const tar = tarOf(members);
    put(`${dir}data.tar`, tar);
    const manifest = {
      format: 'pgdr-backup-manifest',
      version: 1,
      backupId: bid,
      compression: 'none',
      compressionLevel: null,
      tars: [
        {
          key: 'data.tar',
          group: 'data',
          part: 0,
          dataBytes: members.reduce((n, m) => n + Buffer.byteLength(m.data ?? ''), 0),
          storedBytes: tar.length,
          files: fileRows(members),
          mtimes: members.map(() => Math.floor(begin / 1000)),
        },
      ],
    };
    const manifestBody = Buffer.from(`${JSON.stringify(manifest)}\n`);
    assert.equal(parseBackupManifest(manifestBody, `${dir}pgdr.json`, bid).kind, 'present');
    put(`${dir}pgdr.json`, manifestBody);
    if (s.parent !== undefined) {
      const chain = chainOf(s.name);
      const doc = Buffer.from(
        chainJson({
          backupId: bid,
          parent: id.get(s.parent)!,
          chain,
          level: 'file',
          references: [['data', 'PG_VERSION', 3, crcOf('17\n'), chain[0]!]],
          referenceMtimes: [Math.floor(begin / 1000)],
        }),
      );
      assert.deepEqual(parseChain(doc, `${dir}${CHAIN_NAME}`, bid).chain, chain);
      put(`${dir}${CHAIN_NAME}`, doc);
    }
    const info = backupInfoText({
      status: 'DONE',
      meta: META,
      start,
      stop: { lsn: lsn(segment, 0x138), timeline: 1, time: pyTime(begin + 60_000), labelFile: label },
      ...(s.parent !== undefined ? { parentBackupId: id.get(s.parent)!, incrementalLevel: 'file' } : {}),
    });
    const parsed = parseBackupInfo(info, bid);
    assert.equal(parsed.beginWal, segmentName(segment));
    assert.equal(parsed.parentBackupId, s.parent === undefined ? null : id.get(s.parent));
    put(`${dir}backup.info`, info);
    if (s.keep !== undefined) put(`${dir}annotations/keep`, s.keep);
    // The .backup label pg_backup_stop archives beside the segment.
    const labelKey = `${fakeSegment(SERVER, segment).key}.00000028.backup`;
    put(labelKey, `START WAL LOCATION: ${start.lsn} (file ${segmentName(segment)})\n`);
    wal.push(labelKey);
  }
  return { objects, fx: { id, name, beginWal, folder, wal: wal.sort() } };
}

async function filesUnder(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await fsp.readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out.push(relative(root, p).split(sep).join('/'));
    }
  };
  await walk(root);
  return out.sort();
}

/** The backups (by name) with any file left in their folder, read from disk. */
function backupsOnDisk(files: readonly string[], fx: Fixture): string[] {
  const re = new RegExp(`^${SERVER}/(?:base|${INCREMENTAL_FOLDER})/(\\d{8}T\\d{6})/`);
  const ids = new Set(files.flatMap((f) => re.exec(f)?.[1] ?? []));
  return [...ids].map((i) => fx.name.get(i) ?? `unknown ${i}`).sort();
}

interface Report {
  readonly dryRun: boolean;
  readonly policy: string;
  readonly report: { backupId: string; backupStatus: string; retention: string }[];
  readonly deleted: {
    backupId: string;
    status: string;
    objects: { key: string }[];
    removeUntil: string | null;
    wal: { key: string }[];
  }[];
  readonly totals: { backups: number };
}

describe('pgdr retention apply with incremental chains, against a table of cases (file://, no PostgreSQL)', () => {
  let dir: string;
  before(async () => {
    dir = await fsp.mkdtemp(join(tmpdir(), 'pgdr-retention-chains-'));
  });
  after(() => fsp.rm(dir, { recursive: true, force: true }));

  const bucket = async (label: string, c: Case) => {
    const root = join(dir, label);
    const { objects, fx } = build(c);
    await writeFakeFs(root, objects);
    return { root, fx };
  };
  const apply = async (root: string, policy: string, ...extra: string[]) => {
    const r = await runPgdr(
      [
        'retention',
        'apply',
        '--policy',
        policy,
        '--format',
        'json',
        ...extra,
        '--destination-path',
        `file://${root}`,
        '--server-name',
        SERVER,
      ],
      { cwd: dir, timeoutMs: 60_000 },
    );
    assert.equal(r.code, 0, `exit ${r.code}\n${r.stderr}\n${r.stdout}`);
    return JSON.parse(r.stdout) as Report;
  };
  const statuses = (j: Report, fx: Fixture) =>
    Object.fromEntries(j.report.map((b) => [fx.name.get(b.backupId) ?? b.backupId, b.retention]));

  for (const [n, c] of CASES.entries()) {
    it(c.name, async () => {
      const { root, fx } = await bucket(`case${n}`, c);
      const present = c.backups.filter((s) => !s.absent).map((s) => s.name);
      const filesBefore = await filesUnder(root);
      assert.deepEqual(backupsOnDisk(filesBefore, fx), [...present].sort());

      const j = await apply(root, c.policy);
      assert.equal(j.dryRun, false);
      assert.deepEqual(statuses(j, fx), c.want);
      assert.deepEqual(
        j.deleted.map((d) => fx.name.get(d.backupId)),
        c.deleted,
      );
      assert.equal(j.totals.backups, c.deleted.length);
      // Each deleted backup: every object of its folder, backup.info last.
      for (const d of j.deleted) {
        const prefix = fx.folder.get(fx.name.get(d.backupId)!)!;
        const keys = d.objects.map((o) => o.key);
        assert.equal(keys.at(-1), `${prefix}backup.info`);
        assert.deepEqual(
          [...keys].sort(),
          filesBefore.filter((f) => f.startsWith(prefix)),
        );
      }
      // WAL goes only with the full backups, and only what is older than the walFrom backup's begin_wal.
      const from = c.walFrom === null ? null : fx.beginWal.get(c.walFrom)!;
      const walGone = fx.wal.filter((k) => from !== null && k.slice(k.lastIndexOf('/') + 1) < from);
      assert.deepEqual(j.deleted.flatMap((d) => d.wal.map((w) => w.key)).sort(), walGone);
      for (const d of j.deleted) {
        if (fx.folder.get(fx.name.get(d.backupId)!)!.includes(INCREMENTAL_FOLDER)) {
          assert.deepEqual(d.wal, [], `incremental ${d.backupId} took WAL`);
          assert.equal(d.removeUntil, null);
        }
      }

      // Independently of the report: what is on disk now.
      const filesAfter = await filesUnder(root);
      const kept = present.filter((b) => !c.deleted.includes(b)).sort();
      assert.deepEqual(backupsOnDisk(filesAfter, fx), kept);
      const walAfter = filesAfter.filter((f) => f.startsWith(`${SERVER}/wals/`));
      assert.deepEqual(
        walAfter,
        fx.wal.filter((k) => !walGone.includes(k)),
      );
      // Nothing but the deleted backups' objects and that WAL went.
      const goneFolders = c.deleted.map((b) => fx.folder.get(b)!);
      assert.deepEqual(
        filesAfter,
        filesBefore.filter((f) => !goneFolders.some((p) => f.startsWith(p)) && !walGone.includes(f)),
      );

      // A second run finds the same statuses for what is left, and nothing more to delete.
      const again = await apply(root, c.policy);
      const left = Object.fromEntries(Object.entries(c.want).filter(([b]) => !c.deleted.includes(b)));
      assert.deepEqual(statuses(again, fx), left);
      assert.deepEqual(again.deleted, []);
      assert.deepEqual(await filesUnder(root), filesAfter);
    });
  }

  it('--dry-run reports the same deletions and leaves the bucket untouched', async () => {
    const c = CASES[0]!;
    const { root, fx } = await bucket('dry-run', c);
    const hash = await treeHash(root);
    const j = await apply(root, c.policy, '--dry-run');
    assert.equal(j.dryRun, true);
    assert.deepEqual(statuses(j, fx), c.want);
    assert.deepEqual(
      j.deleted.map((d) => fx.name.get(d.backupId)),
      c.deleted,
    );
    assert.ok(
      j.deleted.every((d) => d.objects.length >= 3),
      'a dry run lists the objects it would delete',
    );
    assert.ok(
      j.deleted.some((d) => d.wal.length > 0),
      'a dry run lists the WAL it would delete',
    );
    assert.equal(await treeHash(root), hash);
    assert.deepEqual(backupsOnDisk(await filesUnder(root), fx), c.backups.map((s) => s.name).sort());
  });

  const cli = (root: string, ...args: string[]) =>
    runPgdr([...args, '--format', 'json', '--destination-path', `file://${root}`, '--server-name', SERVER], {
      cwd: dir,
      timeoutMs: 60_000,
    });

  it('backup delete names an incremental: a leaf or a FAILED one goes alone, a parent is refused', async () => {
    const c: Case = {
      ...CASES[0]!,
      backups: [
        full('F1', 29),
        inc('I2', 28, 'F1'),
        inc('I3', 27, 'I2'),
        failedInc('I4', 26),
        full('F5', 25),
      ],
    };
    const { root, fx } = await bucket('delete', c);
    const before = await filesUnder(root);
    // backup show finds an incremental by its ID and names its parent.
    const show = await runPgdr(
      ['backup', 'show', fx.id.get('I3')!, '--destination-path', `file://${root}`, '--server-name', SERVER],
      { cwd: dir },
    );
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, new RegExp(`Parent\\s+${fx.id.get('I2')} \\(incremental backup\\)`));
    const parent = await cli(root, 'backup', 'delete', fx.id.get('I2')!);
    assert.equal(parent.code, 23, parent.stderr);
    assert.match(parent.stderr, /is the parent of incremental backup\(s\)/);
    assert.deepEqual(await filesUnder(root), before, 'a refusal deletes nothing');

    for (const leaf of ['I3', 'I4']) {
      const r = await cli(root, 'backup', 'delete', fx.id.get(leaf)!);
      assert.equal(r.code, 0, r.stderr);
      const j = JSON.parse(r.stdout) as Report;
      assert.deepEqual(
        j.deleted.map((d) => fx.name.get(d.backupId)),
        [leaf],
      );
      assert.deepEqual(j.deleted[0]!.wal, [], 'an incremental takes no WAL');
      assert.equal(j.deleted[0]!.objects.at(-1)?.key, `${fx.folder.get(leaf)}backup.info`);
    }
    const after = await filesUnder(root);
    assert.deepEqual(backupsOnDisk(after, fx), ['F1', 'F5', 'I2']);
    assert.deepEqual(
      after,
      before.filter((f) => !f.startsWith(fx.folder.get('I3')!) && !f.startsWith(fx.folder.get('I4')!)),
    );
    // Now a leaf, I2 goes too; F1 is no parent any more.
    const now = await cli(root, 'backup', 'delete', fx.id.get('I2')!);
    assert.equal(now.code, 0, now.stderr);
    assert.deepEqual(backupsOnDisk(await filesUnder(root), fx), ['F1', 'F5']);
  });

  it('backup keep names an incremental: the keep is in its folder, retention keeps its chain, --release undoes it', async () => {
    const c = CASES[0]!;
    const { root, fx } = await bucket('keep', c);
    const id = fx.id.get('I3')!;
    const k = await cli(root, 'backup', 'keep', id, '--target', 'full');
    assert.equal(k.code, 0, k.stderr);
    assert.deepEqual(JSON.parse(k.stdout), { backupId: id, keep: 'full' });
    assert.equal(await fsp.readFile(join(root, `${fx.folder.get('I3')}annotations/keep`), 'utf8'), 'full');
    const st = await cli(root, 'backup', 'keep', id, '--status');
    assert.deepEqual(JSON.parse(st.stdout), { backupId: id, keep: 'full' });
    const del = await cli(root, 'backup', 'delete', id);
    assert.equal(del.code, 23, del.stderr);
    assert.match(del.stderr, /has a keep request/);

    const j = await apply(root, c.policy, '--dry-run');
    assert.equal(statuses(j, fx).I3, 'KEEP:FULL');
    assert.deepEqual(
      j.deleted.map((d) => fx.name.get(d.backupId)),
      [],
      'the kept incremental keeps its chain, F1 included',
    );
    const r = await cli(root, 'backup', 'keep', id, '--release');
    assert.equal(r.code, 0, r.stderr);
    await assert.rejects(fsp.access(join(root, `${fx.folder.get('I3')}annotations/keep`)), {
      code: 'ENOENT',
    });
    const again = await apply(root, c.policy, '--dry-run');
    assert.deepEqual(
      again.deleted.map((d) => fx.name.get(d.backupId)),
      c.deleted,
    );
  });
});
