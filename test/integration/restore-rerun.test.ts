// `pgdr restore` killed midway (SIGKILL while it extracts) leaves its marker; the rerun clears the folder and
// restores again, saying so. A non-empty folder without the marker is refused and left exactly as it was. And
// `--no-start` reports success only once every restored file and folder went through fsync (seen with strace).
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MARKER_NAME } from '../../src/engine/restore/restore-marker.js';
import { PGDR_BIN, PGDR_COMMAND_ENV, runPgdr } from '../helpers/cli.js';
import { BACKUP_ID, dataMembers, SERVER, writeSyntheticBackup } from '../helpers/synthetic-backup.js';
import { treeHash } from '../helpers/tree-hash.js';

const BIG = 256 << 20;

describe('restore reruns and durability', () => {
  let root: string;
  let bucket: string;
  let args: (dir: string) => string[];
  before(async () => {
    root = await fsp.mkdtemp(join(tmpdir(), 'pgdr-rerun-'));
    bucket = join(root, 'bucket');
    // A big, highly compressible member: extracting it takes long enough to be caught in the middle.
    const members = [...dataMembers(), { name: 'base/1/big', data: Buffer.alloc(BIG) }];
    await writeSyntheticBackup({
      root: bucket,
      data: members,
      gzip: true,
      manifest: true,
      tablespaces: [
        {
          name: 'ts',
          oid: 16385,
          location: join(root, 'ts'),
          members: [
            { name: 'PG_15_202209061', type: '5', mode: 0o700 },
            { name: 'PG_15_202209061/16390', data: 'in the tablespace' },
          ],
        },
      ],
    });
    args = (dir) => [
      'restore',
      dir,
      '--no-start',
      '--destination-path',
      `file://${bucket}`,
      '--server-name',
      SERVER,
    ];
  });
  after(async () => {
    await fsp.rm(root, { recursive: true, force: true });
  });

  it('a rerun after a SIGKILL midway restarts the unfinished restore and says so', async () => {
    const dir = join(root, 'killed');
    await killMidway(dir, args(dir));
    assert.ok(existsSync(join(dir, MARKER_NAME)), 'the killed restore left its marker');
    assert.ok((await fsp.stat(join(dir, 'base', '1', 'big'))).size < BIG, 'killed while extracting');

    const r = await runPgdr(args(dir), { timeoutMs: 300_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      new RegExp(
        `Restarted an unfinished restore: cleared ${dir} \\(server ${SERVER}, backup ${BACKUP_ID}, started `,
      ),
    );
    assert.match(r.stdout, /note: .* holds an unfinished pgdr restore .*: it is cleared and restored again/);
    assert.equal((await fsp.stat(join(dir, 'base', '1', 'big'))).size, BIG);
    assert.equal(await fsp.readFile(join(dir, 'PG_VERSION'), 'utf8'), '15\n');
    assert.ok(!existsSync(join(dir, MARKER_NAME)), 'no marker once the restore is complete');
    assert.ok(!existsSync(join(root, 'ts', MARKER_NAME)), 'nor in the tablespace folder');
    // Complete: a third run finds a folder without the marker and refuses it.
    const again = await runPgdr(args(dir));
    assert.equal(again.code, 21, again.stderr);
  });

  it('refuses a non-empty folder without the marker, in the data or a tablespace folder, touching nothing', async () => {
    const dir = join(root, 'someone-elses');
    await fsp.mkdir(join(dir, 'base'), { recursive: true });
    await fsp.writeFile(join(dir, 'PG_VERSION'), '15\n');
    await fsp.writeFile(join(dir, 'base', 'precious'), 'data');
    const before = await treeHash(dir);
    const r = await runPgdr([...args(dir), '--tablespace', `ts:${join(root, 'ts-1')}`]);
    assert.equal(r.code, 21, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(`hint: .*pgdr only clears a folder that holds its own ${MARKER_NAME} marker`),
    );
    assert.equal(await treeHash(dir), before);

    // The data folder is an unfinished restore of pgdr's, but the tablespace folder is somebody's: neither is
    // touched, since every folder is checked before any is cleared.
    const marked = join(root, 'marked');
    await fsp.mkdir(join(marked, 'base'), { recursive: true });
    await fsp.writeFile(join(marked, MARKER_NAME), '{}');
    await fsp.writeFile(join(marked, 'base', 'half'), 'x');
    const tsDir = join(root, 'ts-busy');
    await fsp.mkdir(tsDir);
    await fsp.writeFile(join(tsDir, 'theirs'), 'y');
    const beforeMarked = await treeHash(marked);
    const beforeTs = await treeHash(tsDir);
    const r2 = await runPgdr([...args(marked), '--tablespace', `ts:${tsDir}`]);
    assert.equal(r2.code, 21, r2.stderr);
    assert.match(r2.stderr, new RegExp(`${tsDir} is not empty \\(theirs\\)`));
    assert.equal(await treeHash(marked), beforeMarked);
    assert.equal(await treeHash(tsDir), beforeTs);
  });

  it('--no-start reports success only after every restored file and folder was fsynced', async () => {
    const strace = spawnSync('sh', ['-c', 'command -v strace']).stdout.toString().trim();
    assert.ok(strace, 'strace is installed (scripts/setup.sh)');
    const dir = join(root, 'synced');
    const tsDir = join(root, 'ts-synced');
    const log = join(root, 'strace.log');
    const r = spawnSync(
      strace,
      [
        '-f',
        '-y',
        '-qq',
        '-e',
        'trace=fsync,fdatasync,syncfs',
        '-o',
        log,
        process.execPath,
        PGDR_BIN,
        ...args(dir),
        '--tablespace',
        `ts:${tsDir}`,
      ],
      { encoding: 'utf8', timeout: 300_000, env: { ...process.env, ...PGDR_COMMAND_ENV } },
    );
    assert.equal(r.status, 0, r.stderr);
    // A call another thread interrupts is logged as 'fsync(N</path> <unfinished ...>'; a failed one fails pgdr.
    const synced = new Set(
      [...(await fsp.readFile(log, 'utf8')).matchAll(/f(?:data)?sync\(\d+<([^>]+)>/g)].map((m) => m[1]),
    );
    const missing: string[] = [];
    const walk = async (p: string): Promise<void> => {
      const st = await fsp.lstat(p);
      if (st.isSymbolicLink()) return;
      if (!synced.has(p)) missing.push(p);
      if (st.isDirectory()) for (const n of await fsp.readdir(p)) await walk(join(p, n));
    };
    await walk(dir);
    await walk(tsDir);
    assert.deepEqual(missing, [], 'every file and folder restored was fsynced');
    assert.ok(synced.has(join(dir, 'pg_tblspc')), 'the folder of the tablespace links too');
    assert.ok(synced.has(root), 'and the folder holding the new data folder');
  });
});

/**
 * Runs the command and SIGKILLs it while it is stopped in the middle of extracting (marker present, big file
 * partly written). A run that slipped past that point before being stopped is discarded and started again.
 */
async function killMidway(dir: string, argv: readonly string[]): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    await fsp.rm(dir, { recursive: true, force: true });
    const child = spawn(process.execPath, [PGDR_BIN, ...argv], {
      stdio: 'ignore',
      env: { ...process.env, ...PGDR_COMMAND_ENV },
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    let done = false;
    void exited.then(() => {
      done = true;
    });
    while (!done) {
      if (await partlyExtracted(dir)) {
        child.kill('SIGSTOP');
        if (await partlyExtracted(dir)) {
          child.kill('SIGKILL');
          await exited;
          return;
        }
        child.kill('SIGCONT');
      }
      await new Promise((r) => setTimeout(r, 2));
    }
    await stopped(child);
  }
  assert.fail('the restore was never caught in the middle of extracting');
}

async function partlyExtracted(dir: string): Promise<boolean> {
  if (!existsSync(join(dir, MARKER_NAME))) return false;
  const st = await fsp.stat(join(dir, 'base', '1', 'big')).catch(() => undefined);
  return st !== undefined && st.size > 0 && st.size < BIG;
}

async function stopped(child: ChildProcess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
  }
}
