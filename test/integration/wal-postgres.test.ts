// Acceptance: PostgreSQL 17 under pgbench with archive_command = pgdr wal archive (maxParallel 8). After a
// checkpoint and pg_switch_wal() every segment is in the bucket, nothing failed, and the .ready backlog stayed
// bounded. The server runs as the postgres OS user, so config and credentials live in a world-readable folder.
import assert from 'node:assert/strict';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SPOOL_NAME } from '../../src/engine/wal-service/spool.js';
import { listBucketKeys, switchWalAndWait } from '../helpers/barman-bucket.js';
import { type CountedPgdr, countedPgdr } from '../helpers/pgdr-exe.js';
import { pgbench, startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { type S3rverHandle, startS3rver } from '../helpers/s3rver.js';
import { serverConfigDir } from '../helpers/server-config.js';

const BUCKET = 'walpg';

describe('PostgreSQL 17 archiving through pgdr wal archive (maxParallel 8)', () => {
  let s3: S3rverHandle;
  let pg: TestPostgres;
  let cfgDir: string;
  let pgdr: CountedPgdr;
  before(async () => {
    s3 = await startS3rver({ buckets: [BUCKET] });
    const cfg = await serverConfigDir(s3, `s3://${BUCKET}/pgdr`);
    cfgDir = cfg.dir;
    await cfg.write('pgdr.yaml', {
      serverName: 'pg17',
      objectStoreExtra: ['wal:', '  compression: gzip', '  maxParallel: 8'],
    });
    // The executable, as `archive_command = 'pgdr wal archive %p'` runs it: it answers files done ahead in sh.
    pgdr = await countedPgdr(cfgDir);
    const archiveCommand = `${pgdr.command} wal archive --config ${join(cfgDir, 'pgdr.yaml')} %p`;
    // Small segments' worth of checkpoints keep WAL flowing; the default 16 MiB segments are what is archived.
    pg = await startPostgres({ major: 17, archiveCommand, settings: { max_wal_size: '256MB' } });
  });
  after(async () => {
    await pg?.cleanup();
    await s3?.stop();
    if (cfgDir) await rm(cfgDir, { recursive: true, force: true });
  });

  it('every segment is archived, failed_count is 0 and the .ready backlog stays bounded', async () => {
    const statusDir = join(pg.pgdata, 'pg_wal', 'archive_status');
    let maxReady = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const ready = (await readdir(statusDir).catch(() => [])).filter((f) => f.endsWith('.ready')).length;
        maxReady = Math.max(maxReady, ready);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await pgbench({ connectionString: pg.connectionString, init: { scale: 10 } });
    await pgbench({ connectionString: pg.connectionString, run: { transactions: 4000, clients: 8 } });
    await pg.query('CHECKPOINT');
    const last = await switchWalAndWait(pg, 180_000);
    sampling = false;
    await sampler;

    const [a] = await pg.query<{ failed: string; archived: string }>(
      'SELECT failed_count AS failed, archived_count AS archived FROM pg_stat_archiver',
    );
    assert.equal(Number(a?.failed), 0);
    const keys = new Set(
      await listBucketKeys({ endpoint: s3.endpoint, bucket: BUCKET, prefix: 'pgdr/pg17/wals/' }),
    );
    const lastNo = Number.parseInt(last.slice(16), 16);
    assert.ok(lastNo >= 16, `expected a real workload (${last})`);
    const missing: string[] = [];
    for (let n = 1; n <= lastNo; n++) {
      const name = `00000001000000000000${n.toString(16).toUpperCase().padStart(4, '0')}`;
      if (!keys.has(`pgdr/pg17/wals/0000000100000000/${name}.gz`)) missing.push(name);
    }
    assert.deepEqual(missing, []);
    // Every done marker the WAL service left names a stored segment.
    const markers = (await readdir(join(pg.pgdata, 'pg_wal', SPOOL_NAME, 'done')).catch(() => [])).filter(
      (m) => !m.startsWith('.'),
    );
    assert.deepEqual(
      markers.filter((m) => !keys.has(`pgdr/pg17/wals/0000000100000000/${m}.gz`)),
      [],
    );
    // Calls for files uploaded ahead were answered in sh (wal-exe.test.ts checks that on a known backlog).
    const nodeStarts = (await pgdr.nodeStarts()).length;
    console.log(
      `archived ${lastNo} segments (archived_count ${a?.archived}), max .ready backlog ${maxReady}, node started ${nodeStarts} times`,
    );
    assert.ok(maxReady <= 24, `the .ready backlog reached ${maxReady}`);
  });
});
