// The thin client (bin/pgdr) against the CLI (node dist/src/cli/bin.js): one table of requests, each run
// from the same starting state once through each; they must agree on the exit code and the result (what is
// in the bucket, what DEST holds). The spool is filled as the WAL service fills it (its request file from the
// CLI's own walServiceClient, done/ links, ready/ segments), and the thin client must answer the cases marked
// `inSh` without starting node.
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmod,
  copyFile,
  link,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { CliContext } from '../../src/cli/main.js';
import { walServiceClient } from '../../src/cli/wal-request.js';
import { archiveFile } from '../../src/engine/wal-archive.js';
import { restoreWal } from '../../src/engine/wal-restore.js';
import { formatRequest, SPOOL_NAME, spoolPaths } from '../../src/engine/wal-service/spool.js';
import { FsObjectStore } from '../../src/storage/fs/fs-store.js';
import { switchWalAndWait } from '../helpers/barman-bucket.js';
import { PGDR_BIN, PGDR_EXE } from '../helpers/cli.js';
import { countedPgdr } from '../helpers/pgdr-exe.js';
import { loadRows, reloadSetting, startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { walBench } from '../helpers/wal-bench.js';

interface Run {
  readonly code: number;
  readonly stderr: string;
}

/** A starting state: a data folder, its config, and the call to make in it. */
interface Setup {
  readonly cwd: string;
  readonly args: string[];
  /** What the call left that matters: the bucket's WAL keys, DEST's hash. */
  readonly result: () => Promise<string>;
}

interface Case {
  readonly name: string;
  /** The thin client answers it without node. */
  readonly inSh: boolean;
  readonly setup: (dir: string) => Promise<Setup>;
}

describe('bin/pgdr and the CLI agree on one table of requests', () => {
  const w = walBench('pgdr-exe-');
  const n = w.name;
  const env = () => ({ PATH: process.env.PATH, HOME: process.env.HOME });
  const exec = (file: string, args: string[], cwd: string, extra: NodeJS.ProcessEnv = {}) =>
    new Promise<Run>((resolve) => {
      execFile(file, args, { cwd, env: { ...env(), ...extra } }, (e, _out, stderr) =>
        resolve({ code: e ? Number(e.code) : 0, stderr }),
      );
    });
  const hash = async (f: string) =>
    readFile(f).then(
      (b) => createHash('sha256').update(b).digest('hex'),
      () => 'absent',
    );
  const keys = async (repo: string) =>
    (await readdir(repo, { recursive: true }).catch(() => [] as string[]))
      .filter((k) => k.endsWith('.gz'))
      .sort()
      .join(',');
  const yaml = (server: string, repo: string) =>
    `serverName: ${server}\nobjectStore:\n  destinationPath: file://${repo}\n  wal:\n    maxParallel: 4\n`;

  /** As the WAL service leaves it: the request of exactly this call, and the configuration it read. */
  async function fillSpool(cwd: string, args: string[], positionals: number, walPath: string, cfg: string) {
    const ctx = { env: env(), cwd } as unknown as CliContext;
    const mode = args[1] as 'archive' | 'restore';
    const c = await walServiceClient(
      { mode, argv: args.slice(2), positionals, configFlag: cfg, walPath },
      ctx,
    );
    const p = spoolPaths(c!.spool);
    for (const d of [p.done, p.ready]) await mkdir(d, { recursive: true });
    await writeFile(p.config, await readFile(cfg));
    await writeFile(p.request, formatRequest(c!.request));
    return p;
  }

  /** A data folder with segment 0 in pg_wal; `stored`: archived already, `marked`: done/ links it. */
  async function archiving(dir: string, o: { stored: boolean; marked: boolean; symlinked?: boolean }) {
    const pgWal = join(dir, 'pg_wal');
    await mkdir(pgWal, { recursive: true });
    const repo = join(dir, 'repo');
    let cfg = join(dir, 'pgdr.yaml');
    if (o.symlinked) {
      // As Kubernetes mounts a ConfigMap: pgdr.yaml -> ..data/pgdr.yaml, ..data -> ..v1.
      await mkdir(join(dir, 'cm', '..v1'), { recursive: true });
      await writeFile(join(dir, 'cm', '..v1', 'pgdr.yaml'), yaml('a', repo));
      await symlink('..v1', join(dir, 'cm', '..data'));
      await symlink('..data/pgdr.yaml', join(dir, 'cm', 'pgdr.yaml'));
      cfg = join(dir, 'cm', 'pgdr.yaml');
    } else await writeFile(cfg, yaml('a', repo));
    const wal = join(pgWal, n(0));
    await copyFile(join(w.segs.dir, n(0)), wal);
    const args = ['wal', 'archive', '--config', cfg, `pg_wal/${n(0)}`];
    if (o.stored) {
      await archiveFile(wal, { store: new FsObjectStore(repo), serverName: 'a', compression: 'gzip' });
      const p = await fillSpool(dir, args, 1, wal, cfg);
      if (o.marked) await link(wal, join(p.done, n(0)));
    }
    return { args, cfg, wal, repo, result: () => keys(repo) };
  }

  /** A restore folder whose bucket holds segments 0..1 and whose spool holds segment 1 prefetched. */
  async function restoring(dir: string, o: { symlinked?: boolean; ask: string }) {
    const a = await archiving(dir, { stored: false, marked: false, symlinked: o.symlinked });
    const store = new FsObjectStore(a.repo);
    for (const i of [0, 1])
      await archiveFile(join(w.segs.dir, n(i)), { store, serverName: 'a', compression: 'gzip' });
    const dest = join(dir, 'pg_wal', 'RECOVERYXLOG');
    const args = ['wal', 'restore', '--config', a.cfg, o.ask, 'pg_wal/RECOVERYXLOG'];
    const p = await fillSpool(dir, args, 2, dest, a.cfg);
    await restoreWal(n(1), join(p.ready, n(1)), { store, serverName: 'a', durable: true });
    return { ...a, args, result: async () => `${await hash(dest)} ${await keys(a.repo)}` };
  }

  /** A process standing for a live service (the walBench's clean-up stops what the locks name). */
  let standIn: ChildProcess | undefined;
  after(() => standIn?.kill());

  /** restoring(), asking for `ask`, with absent/ naming it, and a lock: a live pid, one that has exited, or none. */
  async function markedAbsent(dir: string, ask: string, lock: 'live' | 'dead' | 'none') {
    const r = await restoring(dir, { ask });
    const p = spoolPaths(join(dir, 'pg_wal', SPOOL_NAME));
    await mkdir(p.absent, { recursive: true });
    await writeFile(join(p.absent, ask), '');
    const dead = spawnSync('true').pid;
    standIn ??= spawn('sleep', ['600'], { stdio: 'ignore' });
    if (lock !== 'none') await writeFile(p.lock, String(lock === 'live' ? standIn.pid : dead));
    return { cwd: dir, ...r };
  }

  const changed = (b: Buffer) => {
    const c = Buffer.from(b);
    c[5000] = c[5000]! ^ 1;
    return c;
  };

  const CASES: Case[] = [
    {
      name: 'archive of a new file',
      inSh: false,
      setup: async (dir) => ({ cwd: dir, ...(await archiving(dir, { stored: false, marked: false })) }),
    },
    {
      name: 'archive of the same file again (done marker)',
      inSh: true,
      setup: async (dir) => ({ cwd: dir, ...(await archiving(dir, { stored: true, marked: true })) }),
    },
    {
      name: 'archive of the same file, stored, no marker',
      inSh: false,
      setup: async (dir) => ({ cwd: dir, ...(await archiving(dir, { stored: true, marked: false })) }),
    },
    {
      name: 'archive of different content under the same name',
      inSh: false,
      setup: async (dir) => {
        const a = await archiving(dir, { stored: true, marked: true });
        // A new file (new inode) where the marked one was.
        const other = changed(await readFile(a.wal));
        await rm(a.wal);
        await writeFile(a.wal, other);
        return { cwd: dir, ...a };
      },
    },
    {
      name: 'archive with a stale spool after a configuration change',
      inSh: false,
      setup: async (dir) => {
        const a = await archiving(dir, { stored: true, marked: true });
        await writeFile(a.cfg, yaml('b', a.repo));
        return { cwd: dir, ...a };
      },
    },
    {
      name: 'archive, symlinked configuration (done marker)',
      inSh: true,
      setup: async (dir) => ({
        cwd: dir,
        ...(await archiving(dir, { stored: true, marked: true, symlinked: true })),
      }),
    },
    {
      name: 'archive, symlinked configuration updated (ConfigMap swap)',
      inSh: false,
      setup: async (dir) => {
        const a = await archiving(dir, { stored: true, marked: true, symlinked: true });
        await mkdir(join(dir, 'cm', '..v2'));
        await writeFile(join(dir, 'cm', '..v2', 'pgdr.yaml'), yaml('c', a.repo));
        await rm(join(dir, 'cm', '..data'));
        await symlink('..v2', join(dir, 'cm', '..data'));
        return { cwd: dir, ...a };
      },
    },
    {
      name: 'restore of a prefetched segment',
      inSh: true,
      setup: async (dir) => ({ cwd: dir, ...(await restoring(dir, { ask: n(1) })) }),
    },
    {
      name: 'restore, symlinked configuration, prefetched segment',
      inSh: true,
      setup: async (dir) => ({ cwd: dir, ...(await restoring(dir, { ask: n(1), symlinked: true })) }),
    },
    {
      name: 'restore of a segment not prefetched',
      inSh: false,
      setup: async (dir) => ({ cwd: dir, ...(await restoring(dir, { ask: n(0) })) }),
    },
    {
      name: 'restore of an absent segment',
      inSh: false,
      setup: async (dir) => ({ cwd: dir, ...(await restoring(dir, { ask: n(2) })) }),
    },
    {
      name: 'restore on another timeline than the prefetched segment',
      inSh: false,
      setup: async (dir) => ({ cwd: dir, ...(await restoring(dir, { ask: `00000002${n(1).slice(8)}` })) }),
    },
    {
      name: 'restore of a history file the live service found absent',
      inSh: true,
      setup: (dir) => markedAbsent(dir, '00000002.history', 'live'),
    },
    {
      name: 'restore of a history file marked absent by a service that is gone',
      inSh: false,
      setup: (dir) => markedAbsent(dir, '00000002.history', 'dead'),
    },
    {
      name: 'restore of a history file marked absent, no lock',
      inSh: false,
      setup: (dir) => markedAbsent(dir, '00000002.history', 'none'),
    },
    {
      name: 'restore of a segment marked absent (only history files are answered so)',
      inSh: false,
      setup: (dir) => markedAbsent(dir, n(2), 'live'),
    },
    {
      name: 'restore of a history file marked absent, stale spool after a configuration change',
      inSh: false,
      setup: async (dir) => {
        const r = await markedAbsent(dir, '00000002.history', 'live');
        await writeFile(r.cfg, yaml('other', r.repo));
        return r;
      },
    },
    {
      name: 'restore with a stale spool after a configuration change',
      inSh: false,
      setup: async (dir) => {
        const r = await restoring(dir, { ask: n(1) });
        await writeFile(r.cfg, yaml('other', r.repo));
        return { cwd: dir, ...r };
      },
    },
  ];

  let caseNo = 0;
  for (const c of CASES) {
    it(c.name, async () => {
      const base = join(w.work, `case-${caseNo++}`);
      await mkdir(join(base, 'sh'), { recursive: true });
      const sh = await c.setup(join(base, 'sh'));
      const before = (await w.counted.nodeStarts()).length;
      const viaSh = await exec(PGDR_EXE, sh.args, sh.cwd, w.counted.env);
      const started = (await w.counted.nodeStarts()).length - before;
      const shResult = await sh.result();

      await mkdir(join(base, 'node'), { recursive: true });
      const nd = await c.setup(join(base, 'node'));
      const viaNode = await exec(process.execPath, [PGDR_BIN, ...nd.args], nd.cwd);
      const nodeResult = await nd.result();

      assert.equal(viaSh.code, viaNode.code, `exit codes: sh ${viaSh.stderr} / node ${viaNode.stderr}`);
      assert.equal(shResult.replaceAll(join(base, 'sh'), ''), nodeResult.replaceAll(join(base, 'node'), ''));
      assert.equal(started === 0, c.inSh, `node started ${started} times`);
    });
  }

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
      await reloadSetting(pg, 'archive_command', `${pgdr.command} wal archive --config ${cfg} %p`);
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
      // Every done marker the WAL service left names a stored file.
      const marked = await readdir(join(pg.pgdata, 'pg_wal', SPOOL_NAME, 'done')).catch(() => [] as string[]);
      const names = new Set(stored.map((k) => k.split('/').pop()!.replace(/\.gz$/, '')));
      assert.deepEqual(
        marked.filter((m) => !m.startsWith('.') && !names.has(m)),
        [],
      );
    } finally {
      await pg?.cleanup();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
