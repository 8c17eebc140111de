// The `pgdr` executable (bin/pgdr) answers, in sh, the calls an earlier call did ahead: a WAL file uploaded
// ahead (marker) and a segment prefetched into the spool. Here a "node" that only exits 97 shows which calls
// were answered in sh (exit 0) and which went on to the CLI (97): the sh path must answer exactly the calls the
// CLI would answer from the same marker or spool, and leave everything else to it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import {
  chmod,
  copyFile,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rename,
  rm,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MARKER_DIR } from '../../src/engine/wal-archive-parallel.js';
import { switchWalAndWait } from '../helpers/barman-bucket.js';
import { PGDR_EXE } from '../helpers/cli.js';
import { countedPgdr } from '../helpers/pgdr-exe.js';
import { loadRows, startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { generateWalSegments, type WalSegments } from '../helpers/wal-segments.js';

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

describe('bin/pgdr answers calls done ahead in sh', () => {
  let segs: WalSegments;
  let work: string;
  let noNode: string;
  before(async () => {
    segs = await generateWalSegments({ count: 5 });
    work = await mkdtemp(join(tmpdir(), 'pgdr-exe-'));
    await chmod(work, 0o755);
    noNode = join(work, 'no-node');
    await writeFile(noNode, '#!/bin/sh\nexit 97\n', { mode: 0o755 });
  });
  after(async () => {
    await segs?.cleanup();
    if (work) await rm(work, { recursive: true, force: true });
  });
  const n = (i: number) => segs.names[i]!;

  /** Runs the executable; `sh` true: with a node that exits 97, so 0 means answered in sh. */
  const exe = (args: string[], o: { cwd: string; sh?: boolean; env?: NodeJS.ProcessEnv }) =>
    new Promise<Run>((resolve) => {
      const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...o.env };
      if (o.sh) env.PGDR_NODE = noNode;
      execFile(PGDR_EXE, args, { cwd: o.cwd, env }, (e, stdout, stderr) =>
        resolve({ code: e ? Number(e.code) : 0, stdout, stderr }),
      );
    });
  const ok = (r: Run, what: string) => assert.equal(r.code, 0, `${what}: ${r.stderr}`);
  const inSh = (r: Run, what: string) => assert.equal(r.code, 0, `${what} must be answered in sh`);
  const toNode = (r: Run, what: string) => assert.equal(r.code, 97, `${what} must go to the CLI`);

  /** A data folder whose first `count` segments wait in pg_wal (.ready), and a config archiving to `server`. */
  async function archivingFolder(name: string, count: number, server: string) {
    const pgdata = join(work, name);
    const pgWal = join(pgdata, 'pg_wal');
    await mkdir(join(pgWal, 'archive_status'), { recursive: true });
    for (let i = 0; i < count; i++) {
      await copyFile(join(segs.dir, n(i)), join(pgWal, n(i)));
      await writeFile(join(pgWal, 'archive_status', `${n(i)}.ready`), '');
    }
    const cfg = join(work, `${name}.yaml`);
    await writeFile(
      cfg,
      `serverName: ${server}\nobjectStore:\n  destinationPath: file://${join(work, `repo-${server}`)}\n`,
    );
    return { pgdata, pgWal, cfg };
  }

  it('archive: a marker answers only the same call for the same unchanged file', async () => {
    const { pgdata, pgWal, cfg } = await archivingFolder('archive', 5, 'a');
    // As PostgreSQL calls it: working directory PGDATA, %p relative to it.
    const args = (i: number) => ['wal', 'archive', '--max-parallel', '4', '--config', cfg, `pg_wal/${n(i)}`];
    const done = (i: number) =>
      rename(join(pgWal, 'archive_status', `${n(i)}.ready`), join(pgWal, 'archive_status', `${n(i)}.done`));
    const markers = async () => (await readdir(join(pgWal, 'archive_status', MARKER_DIR))).sort();

    ok(await exe(args(0), { cwd: pgdata }), 'the first call');
    await done(0);
    assert.deepEqual(await markers(), [n(1), n(2), n(3)]);
    inSh(await exe(args(1), { cwd: pgdata, sh: true }), 'a file uploaded ahead');
    await done(1);
    assert.deepEqual(await markers(), [n(2), n(3)], 'the marker is used up');

    // Other settings: another serverName, another config file, PGDR_CONFIG, another working folder.
    const other = [
      'wal',
      'archive',
      '--max-parallel',
      '4',
      '--config',
      cfg,
      '--server-name',
      'b',
      `pg_wal/${n(2)}`,
    ];
    toNode(await exe(other, { cwd: pgdata, sh: true }), 'another serverName');
    toNode(await exe(args(2), { cwd: pgdata, sh: true, env: { PGDR_CONFIG: cfg } }), 'PGDR_CONFIG set');
    const elsewhere = ['wal', 'archive', '--max-parallel', '4', '--config', cfg, join(pgWal, n(2))];
    toNode(await exe(elsewhere, { cwd: work, sh: true }), 'another working folder');
    // The configuration edited since (same text, new identity).
    await writeFile(cfg, await readFile(cfg));
    toNode(await exe(args(2), { cwd: pgdata, sh: true }), 'an edited configuration');
    assert.deepEqual(await markers(), [n(2), n(3)], 'the sh path leaves markers it does not use to the CLI');
    // The CLI then takes the full path (n(2) is stored already with the same content) and uploads n(4) ahead.
    ok(await exe(args(2), { cwd: pgdata }), 'the CLI');
    await done(2);
    assert.deepEqual(await markers(), [n(3), n(4)]);

    // A file changed since it was uploaded ahead (recycled, rewound) is never answered from its marker.
    const later = new Date(Date.now() + 5000);
    await utimes(join(pgWal, n(4)), later, later);
    toNode(await exe(args(4), { cwd: pgdata, sh: true }), 'a file changed since');
    assert.deepEqual(await markers(), [n(3), n(4)]);
    const stored = (await readdir(join(work, 'repo-a', 'a', 'wals'), { recursive: true })).filter((k) =>
      k.endsWith('.gz'),
    );
    assert.equal(stored.length, 5);
  });

  it('archive: a call asking for JSON goes to the CLI, which prints it', async () => {
    const { pgdata, pgWal, cfg } = await archivingFolder('archive-json', 2, 'j');
    const flags = ['--max-parallel', '4', '--config', cfg, '-o', 'json'];
    const args = (i: number) => ['wal', 'archive', ...flags, `pg_wal/${n(i)}`];
    const first = await exe(args(0), { cwd: pgdata });
    ok(first, 'the first call');
    assert.equal(JSON.parse(first.stdout).outcome, 'stored');
    await rename(
      join(pgWal, 'archive_status', `${n(0)}.ready`),
      join(pgWal, 'archive_status', `${n(0)}.done`),
    );
    // Uploaded ahead with these very flags: sh could answer, but it would print nothing.
    toNode(await exe(args(1), { cwd: pgdata, sh: true }), 'a call with -o json');
    const second = await exe(args(1), { cwd: pgdata });
    ok(second, 'the CLI');
    assert.deepEqual(JSON.parse(second.stdout), {
      name: n(1),
      key: `j/wals/${n(1).slice(0, 16)}/${n(1)}.gz`,
      outcome: 'stored-ahead',
      bytes: 0,
      ahead: [],
    });
  });

  it('restore: a spooled segment serves only the same call, fresh, from this boot', async () => {
    const repo = join(work, 'repo-r');
    const cfg = join(work, 'restore.yaml');
    await writeFile(cfg, `serverName: r\nobjectStore:\n  destinationPath: file://${repo}\n`);
    const archiveDir = join(work, 'r-src');
    await mkdir(join(archiveDir, 'pg_wal', 'archive_status'), { recursive: true });
    for (let i = 0; i < 5; i++) {
      await copyFile(join(segs.dir, n(i)), join(archiveDir, 'pg_wal', n(i)));
      ok(await exe(['wal', 'archive', '--config', cfg, `pg_wal/${n(i)}`], { cwd: archiveDir }), 'archive');
    }
    const pgdata = join(work, 'restore');
    await mkdir(join(pgdata, 'pg_wal'), { recursive: true });
    const spool = join(pgdata, 'pg_wal', '.pgdr-prefetch');
    const restore = (extra: string[], i: number) => [
      ...['wal', 'restore', '--max-parallel', '4', '--config', cfg],
      ...extra,
      n(i),
      'pg_wal/RECOVERYXLOG',
    ];
    const args = (i: number) => restore([], i);
    const dest = join(pgdata, 'pg_wal', 'RECOVERYXLOG');
    const restored = async (i: number) =>
      assert.ok((await readFile(dest)).equals(await readFile(join(segs.dir, n(i)))), `segment ${i} restored`);

    ok(await exe(args(0), { cwd: pgdata }), 'the first call');
    await restored(0);
    // PostgreSQL removes RECOVERYXLOG before it asks again; a leftover one is replaced all the same.
    inSh(await exe(args(1), { cwd: pgdata, sh: true }), 'a spooled segment');
    await restored(1);

    const other = restore(['--no-partial'], 2);
    toNode(await exe(other, { cwd: pgdata, sh: true }), 'other flags');
    toNode(await exe(args(2), { cwd: pgdata, sh: true, env: { PGDR_CONFIG: cfg } }), 'PGDR_CONFIG set');
    // A spool from another boot (its files were not fsynced) is never served.
    const callFile = join(spool, '.call');
    const call = await readFile(callFile, 'utf8');
    const lines = call.split('\n');
    await writeFile(callFile, [lines[0], 'another-boot', ...lines.slice(2)].join('\n'));
    toNode(await exe(args(2), { cwd: pgdata, sh: true }), 'a spool from another boot');
    await writeFile(callFile, call);
    // Nor an old one.
    const old = new Date(Date.now() - 11 * 60_000);
    await utimes(join(spool, n(2)), old, old);
    toNode(await exe(args(2), { cwd: pgdata, sh: true }), 'a spooled segment 11 minutes old');
    const fresh = new Date();
    await utimes(join(spool, n(2)), fresh, fresh);
    inSh(await exe(args(2), { cwd: pgdata, sh: true }), 'the same segment, fresh again');
    await restored(2);
    await rm(dest);
    inSh(await exe(args(3), { cwd: pgdata, sh: true }), 'the last spooled segment');
    await restored(3);
    assert.deepEqual((await readdir(spool)).sort(), ['.call', '.origin']);
    // Past the spool: the CLI fetches (and prefetches what there is).
    await rm(dest);
    toNode(await exe(args(4), { cwd: pgdata, sh: true }), 'a segment not spooled');
    ok(await exe(args(4), { cwd: pgdata }), 'the CLI');
    await restored(4);

    // Flags only (no configuration file): a pgdr.yaml appearing in the working folder would be read.
    const flagsOnly = (i: number) => [
      'wal',
      'restore',
      '--max-parallel',
      '4',
      '--destination-path',
      `file://${repo}`,
      '--server-name',
      'r',
      n(i),
      'pg_wal/RECOVERYXLOG',
    ];
    await rm(dest);
    ok(await exe(flagsOnly(0), { cwd: pgdata }), 'the first call, flags only');
    await rm(dest);
    inSh(await exe(flagsOnly(1), { cwd: pgdata, sh: true }), 'a spooled segment, flags only');
    await restored(1);
    await writeFile(join(pgdata, 'pgdr.yaml'), 'serverName: x\n');
    toNode(await exe(flagsOnly(2), { cwd: pgdata, sh: true }), 'a pgdr.yaml appeared');
    await rm(join(pgdata, 'pgdr.yaml'));
    inSh(await exe(flagsOnly(2), { cwd: pgdata, sh: true }), 'the pgdr.yaml gone again');
    await restored(2);
  });

  it('PostgreSQL draining a backlog through the executable starts node once per batch', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pgdr-exe-pg-'));
    await chmod(dir, 0o755);
    let pg: TestPostgres | undefined;
    try {
      const cfg = join(dir, 'pgdr.yaml');
      const repo = join(dir, 'repo');
      await mkdir(repo, { mode: 0o777 });
      await chmod(repo, 0o777);
      await writeFile(
        cfg,
        `serverName: pg\nobjectStore:\n  destinationPath: file://${repo}\n  wal:\n    maxParallel: 8\n`,
        {
          mode: 0o644,
        },
      );
      const pgdr = await countedPgdr(dir);
      // archive_mode on without an archive_command: PostgreSQL keeps the .ready files until one is set (with
      // ALTER SYSTEM, which a command-line archive_command would override).
      pg = await startPostgres({ major: 17, settings: { archive_mode: 'on' } });
      for (let i = 0; i < 12; i++) {
        await loadRows({ db: pg, rows: 2000 });
        await pg.query('SELECT pg_current_xact_id()');
        await pg.query('SELECT pg_switch_wal()');
      }
      const statusDir = join(pg.pgdata, 'pg_wal', 'archive_status');
      const ready = (await readdir(statusDir)).filter((f) => f.endsWith('.ready')).length;
      assert.ok(ready >= 12, `a backlog of ${ready} .ready files`);
      await pg.query(
        `ALTER SYSTEM SET archive_command = '${pgdr.command.replaceAll("'", "''")} wal archive --config ${cfg} %p'`,
      );
      await pg.query('SELECT pg_reload_conf()');
      await switchWalAndWait(pg, 120_000);

      const [a] = await pg.query<{ failed: string; archived: string }>(
        'SELECT failed_count AS failed, archived_count AS archived FROM pg_stat_archiver',
      );
      assert.equal(Number(a?.failed), 0);
      const archived = Number(a?.archived);
      assert.ok(archived >= ready, `${archived} archived`);
      const stored = (await readdir(join(repo, 'pg', 'wals'), { recursive: true })).filter((k) =>
        k.endsWith('.gz'),
      );
      assert.equal(stored.length, archived);
      const starts = (await pgdr.nodeStarts()).length;
      // 8 files per node start, the rest answered in sh; a few more starts for files that became ready later.
      assert.ok(starts <= Math.ceil(archived / 8) + 3, `node started ${starts} times for ${archived} files`);
      assert.deepEqual(await readdir(join(statusDir, MARKER_DIR)), []);
    } finally {
      await pg?.cleanup();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
