// `pgdr restore` fetches the first WAL segments while it extracts the base backup (engine/restore/wal-seed.ts),
// and the WAL service started by PostgreSQL's first restore_command adopts them: counted at the store (a proxy
// in front of s3rver sees every request of the restore, the calls and the service), each segment recovery reads
// is downloaded once per time PostgreSQL asks for it, and the restored server holds every archived row.
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { switchWalAndWait } from '../helpers/barman-bucket.js';
import { PGDR_BIN, runPgdr } from '../helpers/cli.js';
import { type FaultProxy, startFaultProxy } from '../helpers/fault-proxy.js';
import { loadRows, startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { pgdrRestore, queryRestored, type S3Target, stopAllRestored } from '../helpers/restore-run.js';
import { type S3rverHandle, startS3rver } from '../helpers/s3rver.js';
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
    await fsp.writeFile(join(root, 'key-id'), s3.accessKeyId, { mode: 0o644 });
    await fsp.writeFile(join(root, 'secret'), s3.secretAccessKey, { mode: 0o644 });
    const store = [
      'objectStore:',
      `  destinationPath: s3://${BUCKET}/s`,
      `  endpointURL: ${s3.endpoint}`,
      '  s3Credentials:',
      `    accessKeyId: {file: ${join(root, 'key-id')}}`,
      `    secretAccessKey: {file: ${join(root, 'secret')}}`,
      '  wal: { compression: gzip, maxParallel: 4 }',
      '  data: { compression: gzip, jobs: 2, immediateCheckpoint: true }',
    ];
    const cfg = join(root, 'pgdr.yaml');
    await fsp.writeFile(cfg, ['serverName: seed', ...store, ''].join('\n'), { mode: 0o644 });
    src = await startPostgres({
      major: 17,
      archiveCommand: `${process.execPath} ${PGDR_BIN} wal archive --config ${cfg} %p`,
    });
    await loadRows({ db: src, rows: 10_000 });
    const full = join(root, 'pgdr-src.yaml');
    await fsp.writeFile(
      full,
      [
        'serverName: seed',
        ...store,
        'postgres:',
        `  connection: ${src.connectionString}`,
        `  pgdata: ${src.pgdata}`,
        '',
      ].join('\n'),
    );
    const b = await runPgdr(['backup', 'create', '--config', full], { timeoutMs: 300_000 });
    assert.equal(b.code, 0, b.stderr);
    for (let i = 0; i < 5; i++) {
      rows = await loadRows({ db: src, rows: 40_000 });
      await switchWalAndWait(src, 120_000);
    }
    await src.cleanup();
    src = undefined;
    target = {
      endpoint: proxy.endpoint,
      destination: `s3://${BUCKET}/s`,
      serverName: 'seed',
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
    };
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
