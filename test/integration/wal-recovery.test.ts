// End to end on PostgreSQL 15 (its pg_basebackup is the one installed): archive with pgdr, take a base backup
// without WAL (-X none), and recover it with restore_command = pgdr wal restore (prefetch 4), so every WAL file
// recovery needs, the backup's own included, comes through pgdr from the bucket.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { switchWalAndWait } from '../helpers/barman-bucket.js';
import { countedPgdr } from '../helpers/pgdr-exe.js';
import { loadRows, startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { type S3rverHandle, startS3rver } from '../helpers/s3rver.js';
import { serverConfigDir } from '../helpers/server-config.js';

const execFileAsync = promisify(execFile);
const BUCKET = 'walrec';
const PG_BASEBACKUP = '/usr/lib/postgresql/15/bin/pg_basebackup';

describe('recovery through pgdr wal restore with prefetch', () => {
  let s3: S3rverHandle;
  let cfgDir: string;
  const servers: TestPostgres[] = [];
  before(async () => {
    s3 = await startS3rver({ buckets: [BUCKET] });
    const cfg = await serverConfigDir(s3, `s3://${BUCKET}/pgdr`);
    cfgDir = cfg.dir;
    await cfg.write('pgdr.yaml', {
      serverName: 'pg15',
      objectStoreExtra: ['wal:', '  compression: zstd', '  maxParallel: 4'],
    });
  });
  after(async () => {
    for (const s of servers) await s.cleanup();
    await s3?.stop();
    if (cfgDir) await rm(cfgDir, { recursive: true, force: true });
  });

  it('a base backup without WAL recovers to the last archived row', async () => {
    // The executable, as PostgreSQL runs `pgdr wal archive %p` / `pgdr wal restore %f %p`.
    const counted = await countedPgdr(cfgDir);
    const pgdr = counted.command;
    const cfg = `--config ${join(cfgDir, 'pgdr.yaml')}`;
    const src = await startPostgres({ major: 15, archiveCommand: `${pgdr} wal archive ${cfg} %p` });
    servers.push(src);
    await loadRows({ db: src, rows: 10_000 });
    let backedUp = false;
    const restoredSettings = { restore_command: `${pgdr} wal restore ${cfg} %f %p` };
    const backup = async (pgdata: string) => {
      await execFileAsync(PG_BASEBACKUP, [
        '-D',
        pgdata,
        '-X',
        'none',
        '-c',
        'fast',
        '-d',
        src.connectionString,
      ]);
      backedUp = true;
    };
    // Take the backup now, into a folder the restored server starts from later.
    const stash = await mkdtemp(join(tmpdir(), 'pgdr-bb-'));
    await backup(join(stash, 'data'));
    assert.ok(backedUp);
    let rows = 0;
    for (let i = 0; i < 6; i++) {
      rows = await loadRows({ db: src, rows: 150_000 });
      await switchWalAndWait(src, 120_000);
    }
    const restored = await startPostgres({
      major: 15,
      settings: restoredSettings,
      fillPgdata: async (pgdata) => {
        await execFileAsync('cp', ['-a', join(stash, 'data'), pgdata]);
        await writeFile(join(pgdata, 'recovery.signal'), '');
      },
    });
    servers.push(restored);
    await rm(stash, { recursive: true, force: true });
    await restored.server.waitForRecoveryEnd({ timeoutSeconds: 180 });
    const [r] = await restored.query<{ n: string }>('SELECT count(*) AS n FROM pgdr_load');
    assert.equal(Number(r?.n), rows);
    const log = await restored.server.logTail(400);
    const fetched = log.match(/restored log file "[0-9A-F]{24}" from archive/g) ?? [];
    assert.ok(fetched.length >= 6, `expected segments from the archive, log:\n${log}`);
    // Segments the WAL service prefetched were answered in sh: node started for at most half of them.
    const segmentStarts = (await counted.nodeStarts()).filter((l) => / wal restore .* [0-9A-F]{24} /.test(l));
    assert.ok(
      segmentStarts.length <= fetched.length / 2,
      `node started for ${segmentStarts.length} of ${fetched.length} restored segments`,
    );
  });
});
