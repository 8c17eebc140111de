// Acceptance: the WAL service killed with SIGKILL in the middle of its uploads, under a running PostgreSQL 17
// generating WAL. No segment PostgreSQL marked .done lacks its object in the bucket (the bucket listed and
// compared with archive_status), and archiving goes on: the calls that find the service dead archive
// synchronously and start a new service, which then stores the files ahead again.
import assert from 'node:assert/strict';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SPOOL_NAME, spoolPaths } from '../../src/engine/wal-service/spool.js';
import { listBucketKeys, switchWalAndWait } from '../helpers/barman-bucket.js';
import { type FaultProxy, startFaultProxy } from '../helpers/fault-proxy.js';
import { countedPgdr } from '../helpers/pgdr-exe.js';
import { until } from '../helpers/poll.js';
import { loadRows, startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { type S3rverHandle, startS3rver } from '../helpers/s3rver.js';
import { serverConfigDir } from '../helpers/server-config.js';
import { stopServices } from '../helpers/wal-service.js';

const BUCKET = 'walkill';
const PREFIX = 'pgdr/kill/wals/';

describe('SIGKILL of the WAL service under a running PostgreSQL', () => {
  let s3: S3rverHandle;
  let proxy: FaultProxy;
  let pg: TestPostgres;
  let cfgDir: string;
  before(async () => {
    s3 = await startS3rver({ buckets: [BUCKET] });
    // Every WAL upload takes a while, so the kill always finds uploads in flight however fast the machine is.
    proxy = await startFaultProxy(Number(new URL(s3.endpoint).port));
    proxy.setRules([{ method: 'PUT', path: /\/wals\//, action: { kind: 'delay', ms: 400 } }]);
    const cfg = await serverConfigDir({ ...s3, endpoint: proxy.endpoint }, `s3://${BUCKET}/pgdr`);
    cfgDir = cfg.dir;
    await cfg.write('pgdr.yaml', {
      serverName: 'kill',
      objectStoreExtra: ['wal:', '  compression: gzip', '  maxParallel: 4'],
    });
    const pgdr = await countedPgdr(cfgDir);
    const archiveCommand = `${pgdr.command} wal archive --config ${join(cfgDir, 'pgdr.yaml')} %p`;
    pg = await startPostgres({ major: 17, archiveCommand });
  });
  after(async () => {
    if (pg) await stopServices(join(pg.pgdata, 'pg_wal'));
    await pg?.cleanup();
    await proxy?.close();
    await s3?.stop();
    if (cfgDir) await rm(cfgDir, { recursive: true, force: true });
  });

  /** The .done segments whose object is not in the bucket. */
  async function doneButMissing(): Promise<string[]> {
    const status = join(pg.pgdata, 'pg_wal', 'archive_status');
    const done = (await readdir(status))
      .filter((f) => /^[0-9A-F]{24}\.done$/.test(f))
      .map((f) => f.slice(0, 24));
    const keys = new Set(await listBucketKeys({ endpoint: s3.endpoint, bucket: BUCKET, prefix: PREFIX }));
    return done.filter((n) => !keys.has(`${PREFIX}${n.slice(0, 16)}/${n}.gz`));
  }

  const lock = () => spoolPaths(join(pg.pgdata, 'pg_wal', SPOOL_NAME)).lock;
  const servicePid = () => readFile(lock(), 'utf8').then(Number, () => 0);

  async function makeWal(segments: number): Promise<void> {
    for (let i = 0; i < segments; i++) {
      await loadRows({ db: pg, rows: 20_000 });
      await pg.query('SELECT pg_current_xact_id()');
      await pg.query('SELECT pg_switch_wal()');
    }
  }

  it('never reports a segment archived that is not stored, and archiving goes on', async () => {
    const killed: number[] = [];
    for (let round = 0; round < 3; round++) {
      // WAL keeps coming while the service works through the backlog; it is killed with uploads in flight.
      const writing = makeWal(6);
      const pid = await until('a running WAL service', async () => {
        const p = await servicePid();
        return p > 0 && !killed.includes(p) ? p : undefined;
      });
      await until('uploads in flight', async () => {
        const status = await readdir(join(pg.pgdata, 'pg_wal', 'archive_status'));
        return status.some((f) => f.endsWith('.ready')) ? true : undefined;
      });
      process.kill(pid, 'SIGKILL');
      killed.push(pid);
      await writing;
      assert.deepEqual(await doneButMissing(), [], `after SIGKILL ${round + 1}`);
    }
    // Archiving continues: everything up to a new switch is archived, nothing failed, none missing.
    await switchWalAndWait(pg, 180_000);
    const [a] = await pg.query<{ failed: string }>('SELECT failed_count AS failed FROM pg_stat_archiver');
    assert.equal(Number(a?.failed), 0);
    assert.deepEqual(await doneButMissing(), []);
    // ... through a restarted service (a new pid holds the lock).
    await makeWal(2);
    const restarted = await until('a restarted service', async () => {
      const p = await servicePid();
      return p > 0 && !killed.includes(p) ? p : undefined;
    });
    assert.ok(!killed.includes(restarted));
    await switchWalAndWait(pg, 180_000);
    assert.deepEqual(await doneButMissing(), []);
  });
});
