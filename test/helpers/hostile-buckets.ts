// The hostile and damaged bucket corpus: ONE real, small, healthy file:// bucket (PostgreSQL 17, a pgdr base
// backup with an uncompressed data.tar, gzip WAL archived by `pgdr wal archive`), and each case a copy of it
// (hard links: cheap, and never written through) with one object rewritten (hostile-bucket-cases.ts).
// Also a script writing the whole corpus for manual runs:
//   node dist/test/helpers/hostile-buckets.js OUTDIR
// gives OUTDIR/sentinel, OUTDIR/buckets/<case>/ and OUTDIR/CASES.md (each case's command and expectation).
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import {
  type Compression,
  type TarCompression,
  tarSuffix,
  walSuffix,
} from '../../src/compression/suffixes.js';
import { chownToServerUser, resolveServerUser } from '../../src/postgres/os-user.js';
import { shQuote } from '../../src/shell-quote.js';
import { backupCreate } from './backup-create.js';
import { switchWalAndWait } from './barman-bucket.js';
import { PGDR_BIN, PGDR_EXE } from './cli.js';
import { memberData } from './hostile-bucket-bytes.js';
import { HOSTILE_CASES, type HostileCase } from './hostile-bucket-cases.js';
import { startPostgres } from './postgres.js';

export const SERVER = 'hostile';

/** Where everything lives: links in the corpus point at `sentinel`, targets sit at runs/<case>/target. */
export interface Layout {
  readonly root: string;
  readonly sentinel: string;
  readonly buckets: string;
  readonly runs: string;
}

export interface BaseBucket {
  /** The file:// destination path. */
  readonly dir: string;
  readonly backupId: string;
  /** The backup's data.tar as stored (uncompressed). */
  readonly dataTar: Buffer;
  /** Archived segments, in order (all gzip). */
  readonly segments: readonly string[];
  /** The backup's end_wal. */
  readonly endWal: string;
  /** The last archived segment, after the backup's end: what the WAL cases damage. */
  readonly victimWal: string;
  /** Its bytes. */
  readonly victimSegment: Buffer;
  /** Rows of table t once every archived segment is replayed (the last 100 only in the victim segment). */
  readonly rows: number;
}

export async function makeLayout(root: string): Promise<Layout> {
  const l = {
    root,
    sentinel: join(root, 'sentinel'),
    buckets: join(root, 'buckets'),
    runs: join(root, 'runs'),
  };
  await fsp.mkdir(root, { recursive: true });
  // The server's OS user reads the base bucket's config and writes into it while archiving.
  await fsp.chmod(root, 0o755);
  await fsp.mkdir(join(l.sentinel, 'sub'), { recursive: true });
  await fsp.writeFile(join(l.sentinel, 'file'), 'what no restore may touch\n', { mode: 0o644 });
  await fsp.writeFile(join(l.sentinel, 'sub', 'inner'), 'nor this\n', { mode: 0o600 });
  await fsp.chmod(join(l.sentinel, 'sub'), 0o750);
  await fsp.chmod(l.sentinel, 0o755);
  await fsp.mkdir(l.buckets, { recursive: true });
  await fsp.mkdir(l.runs, { recursive: true });
  return l;
}

/** A PostgreSQL 17 cluster with one small table, a pgdr backup of it, then two more archived segments. */
export async function buildBaseBucket(l: Layout): Promise<BaseBucket> {
  const dir = join(l.root, 'base-bucket');
  await fsp.mkdir(dir, { mode: 0o755 });
  await chownToServerUser(dir, await resolveServerUser());
  const store = [
    `serverName: ${SERVER}`,
    'objectStore:',
    `  destinationPath: file://${dir}`,
    '  wal: { compression: gzip }',
    '  data: { compression: none, jobs: 1, immediateCheckpoint: true }',
  ];
  const cfg = join(l.root, 'base-archive.yaml');
  await fsp.writeFile(cfg, `${store.join('\n')}\n`, { mode: 0o644 });
  const pg = await startPostgres({
    major: 17,
    archiveCommand: `${process.execPath} ${PGDR_BIN} wal archive --config ${cfg} %p`,
  });
  try {
    await pg.query('CREATE TABLE t (id int PRIMARY KEY, v text)');
    await pg.query('INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 1000) g');
    const full = join(l.root, 'base-backup.yaml');
    const db = ['postgres:', `  connection: ${pg.connectionString}`, `  pgdata: ${pg.pgdata}`];
    await fsp.writeFile(full, `${[...store, ...db].join('\n')}\n`, { mode: 0o600 });
    await backupCreate(full);
    for (let i = 1; i <= 2; i++) {
      await pg.query(
        `INSERT INTO t SELECT g, 'after ${i}' FROM generate_series(${i * 1000 + 1}, ${i * 1000 + 100}) g`,
      );
      await switchWalAndWait(pg);
    }
  } finally {
    await pg.cleanup();
  }
  const [backupId, ...more] = await fsp.readdir(join(dir, SERVER, 'base'));
  assert.ok(backupId !== undefined && more.length === 0, 'one backup');
  const prefix = join(dir, SERVER, 'base', backupId);
  const info = await fsp.readFile(join(prefix, 'backup.info'), 'utf8');
  const endWal = /^end_wal=([0-9A-F]{24})$/m.exec(info)?.[1];
  assert.ok(endWal, 'backup.info has end_wal');
  const segments: string[] = [];
  for (const hash of (await fsp.readdir(join(dir, SERVER, 'wals'))).sort()) {
    if (!/^[0-9A-F]{16}$/.test(hash)) continue;
    for (const f of (await fsp.readdir(join(dir, SERVER, 'wals', hash))).sort()) {
      const m = /^([0-9A-F]{24})\.gz$/.exec(f);
      if (m) segments.push(m[1]!);
    }
  }
  const victimWal = segments.at(-1)!;
  assert.ok(victimWal > endWal, `a segment archived after the backup's end (${segments.join(' ')})`);
  const dataTar = await fsp.readFile(join(prefix, 'data.tar'));
  const victimSegment = gunzipSync(
    await fsp.readFile(join(dir, SERVER, 'wals', victimWal.slice(0, 16), `${victimWal}.gz`)),
  );
  return { dir, backupId, dataTar, segments, endWal, victimWal, victimSegment, rows: 1200 };
}

/** One case's bucket: a hard-linked copy of the base; objects are replaced, never written in place. */
export class CaseBucket {
  constructor(
    readonly dir: string,
    readonly base: BaseBucket,
  ) {}

  get backupPrefix(): string {
    return `${SERVER}/base/${this.base.backupId}/`;
  }

  walKey(name: string, c: Compression): string {
    return name.length === 24
      ? `${SERVER}/wals/${name.slice(0, 16)}/${name}${walSuffix(c)}`
      : `${SERVER}/wals/${name}${walSuffix(c)}`;
  }

  path(key: string): string {
    return join(this.dir, ...key.split('/'));
  }

  read(key: string): Promise<Buffer> {
    return fsp.readFile(this.path(key));
  }

  async put(key: string, body: Buffer): Promise<void> {
    const p = this.path(key);
    await fsp.rm(p, { force: true });
    await fsp.mkdir(dirname(p), { recursive: true });
    await fsp.writeFile(p, body, { mode: 0o644 });
  }

  async remove(key: string): Promise<void> {
    await fsp.rm(this.path(key));
  }

  /** data.tar replaced by `body` stored as data.tar<suffix of c>, and the pgdr manifest renamed to match. */
  async putDataTar(c: TarCompression, body: Buffer): Promise<void> {
    const name = `data${tarSuffix(c)}`;
    await this.remove(`${this.backupPrefix}data.tar`);
    await this.put(`${this.backupPrefix}${name}`, body);
    await this.editManifest((m) => {
      m.compression = c;
      for (const t of m.tars) if (t.key === 'data.tar') t.key = name;
    });
  }

  async editManifest(
    edit: (m: { compression: string; tars: Array<Record<string, unknown>> }) => void,
  ): Promise<void> {
    const key = `${this.backupPrefix}pgdr.json`;
    const m = JSON.parse((await this.read(key)).toString('utf8'));
    edit(m);
    await this.put(key, Buffer.from(`${JSON.stringify(m)}\n`));
  }

  /** The victim segment (or another WAL file) replaced by `body` under compression c's suffix. */
  async putWal(name: string, c: Compression, body: Buffer): Promise<void> {
    await fsp.rm(this.path(this.walKey(name, 'gzip')), { force: true });
    await this.put(this.walKey(name, c), body);
  }
}

/** Copies the base bucket into dir with hard links. */
export async function cloneBucket(from: string, to: string): Promise<void> {
  await fsp.mkdir(to, { recursive: true, mode: 0o755 });
  for (const e of await fsp.readdir(from, { withFileTypes: true })) {
    const [a, b] = [join(from, e.name), join(to, e.name)];
    if (e.isDirectory()) await cloneBucket(a, b);
    else await fsp.link(a, b);
  }
}

export interface CaseRun {
  readonly bucket: string;
  readonly target: string;
  readonly args: string[];
  readonly cwd: string;
}

/**
 * Builds the case's bucket and says how to run it. `restore` runs in the target's parent (so a relative path
 * lands there, where the test looks); `wal restore` runs as PostgreSQL runs restore_command: in a data folder
 * (its global/pg_control gives the segment size), writing pg_wal/RECOVERYXLOG.
 */
export async function prepareCase(c: HostileCase, l: Layout, base: BaseBucket): Promise<CaseRun> {
  const bucket = join(l.buckets, c.name);
  await cloneBucket(base.dir, bucket);
  const target = targetOf(l, c);
  await c.build(new CaseBucket(bucket, base), { layout: l, base, target });
  await fsp.mkdir(dirname(target), { recursive: true });
  const store = ['--destination-path', `file://${bucket}`, '--server-name', SERVER];
  if (c.run === 'wal-restore') {
    await fsp.mkdir(join(target, 'global'), { recursive: true });
    await fsp.mkdir(join(target, 'pg_wal'));
    await fsp.writeFile(join(target, 'global', 'pg_control'), memberData(base.dataTar, 'global/pg_control'));
    const wal = c.wal?.(base) ?? base.victimWal;
    return { bucket, target, args: ['wal', 'restore', wal, 'pg_wal/RECOVERYXLOG', ...store], cwd: target };
  }
  const mode = c.run === 'restore' ? ['--no-start'] : ['--format', 'json'];
  return { bucket, target, args: ['restore', target, ...mode, ...store], cwd: dirname(target) };
}

export function targetOf(l: Layout, c: HostileCase): string {
  return join(l.runs, c.name, 'target');
}

/** Writes the corpus under out for manual runs (needs root or the postgres user, like the tests). */
async function writeCorpus(out: string): Promise<void> {
  const l = await makeLayout(resolve(out));
  const base = await buildBaseBucket(l);
  const lines = [
    '# Hostile bucket corpus',
    '',
    `Sentinel: ${l.sentinel} (must not change). Run each command from its folder; the folder must end up`,
    'holding only target/ (wal restore: run inside target/).',
    '',
  ];
  for (const c of HOSTILE_CASES) {
    const r = await prepareCase(c, l, base);
    lines.push(
      `## ${c.name}`,
      c.what,
      `    cd ${r.cwd} && PGDR_COMMAND=${PGDR_EXE} ${process.execPath} ${PGDR_BIN} ${r.args.map(shQuote).join(' ')}`,
      `expected: exit ${c.expect.code}, message ${c.expect.message}; fixed by: ${c.fixedBy}`,
      '',
    );
  }
  await fsp.writeFile(join(l.root, 'CASES.md'), lines.join('\n'));
  process.stdout.write(`${HOSTILE_CASES.length} cases in ${l.buckets}; see ${join(l.root, 'CASES.md')}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const out = process.argv[2] ?? (await fsp.mkdtemp(join(tmpdir(), 'pgdr-hostile-')));
  await writeCorpus(out);
}
