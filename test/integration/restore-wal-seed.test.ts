// `pgdr restore` fetches the first WAL segments while it extracts the base backup (engine/restore/wal-seed.ts),
// and the WAL service started by PostgreSQL's first restore_command adopts them: counted at the store (a proxy
// in front of s3rver sees every request of the restore, the calls and the service), each segment recovery reads
// is downloaded once per time PostgreSQL asks for it, and the restored server holds every archived row.
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { configuredPrimary } from '../helpers/archiving-primary.js';
import { backupCreate } from '../helpers/backup-create.js';
import { switchWalAndWait } from '../helpers/barman-bucket.js';
import { type FaultProxy, startFaultProxy } from '../helpers/fault-proxy.js';
import { loadRows, type TestPostgres } from '../helpers/postgres.js';
import {
  pgdrRestore,
  queryRestored,
  type S3Target,
  s3Target,
  stopAllRestored,
} from '../helpers/restore-run.js';
import { type S3rverHandle, startS3rver } from '../helpers/s3rver.js';
import { s3StoreLines } from '../helpers/server-config.js';
import { stopServices } from '../helpers/wal-service.js';

const BUCKET = 'walseed';
const SEGMENT_GET = /^GET \/[^?]*\/wals\/[0-9A-F]{16}\/([0-9A-F]{24})(\.[a-z0-9]+)?$/;

describe('pgdr restore seeds the WAL service while it extracts', () => {
  let s3: S3rverHandle;
  let proxy: FaultProxy;
  let root: string;
  let src: TestPostgres | undefined;
  let target: S3Target;
  let rows = 0;

  before(async () => {
    s3 = await startS3rver({ buckets: [BUCKET] });
    proxy = await startFaultProxy(s3.port);
    root = await fsp.mkdtemp(join(tmpdir(), 'pgdr-seed-'));
    await fsp.chmod(root, 0o755);
    const store = [
      'objectStore:',
      ...(await s3StoreLines(s3, `s3://${BUCKET}/s`, root)),
      '  wal: { compression: gzip, maxParallel: 4 }',
      '  data: { compression: gzip, jobs: 2, immediateCheckpoint: true }',
    ];
    const made = await configuredPrimary({ root, serverName: 'seed', store });
    src = made.primary;
    await loadRows({ db: src, rows: 10_000 });
    await backupCreate(made.full);
    for (let i = 0; i < 5; i++) {
      rows = await loadRows({ db: src, rows: 40_000 });
      await switchWalAndWait(src, 120_000);
    }
    await src.cleanup();
    src = undefined;
    target = s3Target(s3, `s3://${BUCKET}/s`, 'seed', proxy.endpoint);
  });
  after(async () => {
    await stopAllRestored();
    await src?.cleanup();
    if (root) await stopServices(root);
    await proxy?.close();
    await s3?.stop();
    if (root) await fsp.rm(root, { recursive: true, force: true });
  });

  it('downloads each segment recovery reads once, and reaches every archived row', async () => {
    proxy.setRules([]);
    const dir = join(root, 'restored');
    const r = await pgdrRestore(target, [dir, '-v']);
    assert.equal(r.code, 0, r.stderr);
    const json = r.json!;
    assert.equal(json.confirmation?.state, 'promoted');
    const [n] = await queryRestored<{ n: string }>(json, 'SELECT count(*) AS n FROM pgdr_load');
    assert.equal(Number(n!.n), rows);
    // The restore seeded the first segments, and said so.
    const seeded = /(\d+) WAL segment\(s\) fetched ahead while extracting/.exec(r.stderr);
    assert.ok(seeded && Number(seeded[1]) >= 1, r.stderr);
    const gets = new Map<string, number>();
    for (const q of proxy.requests) {
      const m = SEGMENT_GET.exec(`${q.method} ${q.path}`);
      if (m) gets.set(m[1]!, (gets.get(m[1]!) ?? 0) + 1);
    }
    const planned = json.plan.wal.segments;
    assert.ok(gets.size >= planned, `every planned segment fetched: ${[...gets.keys()].join(', ')}`);
    // PostgreSQL asks for the last segment once more when it promotes: what it asked for, it got, and each
    // ask cost one download at most (the seeded ones included, fetched by the restore and never again).
    const log = await fsp.readFile(join(dir, 'log', 'pgdr-restore.log'), 'utf8');
    for (const [name, count] of gets) {
      const asks = log.split(`restored log file "${name}" from archive`).length - 1;
      assert.ok(asks >= 1 && count === asks, `${name} downloaded ${count} times for ${asks} ask(s)`);
    }
    // Taken over by the service: nothing of the seed stays.
    await assert.rejects(fsp.stat(join(dir, 'pg_wal', '.pgdr-wal', 'seed')), { code: 'ENOENT' });
  });
});
