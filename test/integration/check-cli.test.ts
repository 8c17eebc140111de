// `pgdr check` against a bucket written by the real barman-cloud tools, with its still-archiving PostgreSQL 17:
// a healthy setup passes (ages may warn), and each broken setup is named by the right check with a hint.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  type BarmanBucket,
  buildBarmanBucket,
  listBarmanBackups,
  listBucketKeys,
  switchWalAndWait,
} from '../helpers/barman-bucket.js';
import { bucketStore } from '../helpers/bucket-copy.js';
import { runPgdr, s3Args, s3Env } from '../helpers/cli.js';
import { startPostgres } from '../helpers/postgres.js';
import { type S3rverHandle, startS3rver } from '../helpers/s3rver.js';

const BUCKET = 'mastovault';
const SERVER = 'database-cnpg';

interface Report {
  result: string;
  checks: { name: string; status: string; finding: string; hint: string; value?: unknown }[];
}

describe('pgdr check on a barman-cloud bucket', () => {
  let s3: S3rverHandle;
  let bucket: BarmanBucket;
  before(async () => {
    s3 = await startS3rver({ buckets: [BUCKET] });
    bucket = await buildBarmanBucket({
      major: 17,
      s3,
      bucket: BUCKET,
      prefix: 'cnpg',
      serverName: SERVER,
      backups: 2,
      keepRunning: true,
    });
    // Segments after the newest backup, so one can be removed from the middle of what a restore needs.
    await switchWalAndWait(bucket.server!);
    await switchWalAndWait(bucket.server!);
  });
  after(async () => {
    await bucket?.server?.cleanup();
    await s3?.stop();
  });

  const store = (o: { endpoint?: string; serverName?: string } = {}) =>
    s3Args({
      endpoint: o.endpoint ?? s3.endpoint,
      destination: `s3://${BUCKET}/cnpg`,
      serverName: o.serverName ?? SERVER,
    });
  const check = async (args: string[], env = s3Env(s3)) => {
    const r = await runPgdr(['check', '--format', 'json', ...args], { env });
    assert.doesNotMatch(r.stdout + r.stderr, new RegExp(s3.secretAccessKey));
    return { ...r, report: JSON.parse(r.stdout || '{}') as Report };
  };
  const statusOf = (r: Report) => Object.fromEntries(r.checks.map((c) => [c.name, c.status]));
  const find = (r: Report, name: string) => {
    const c = r.checks.find((x) => x.name === name);
    assert.ok(c, `no check ${name}`);
    return c;
  };

  it('a healthy bucket and primary pass (only the ages may warn)', async () => {
    const r = await check([...store(), '--connection', bucket.server!.connectionString]);
    assert.ok(r.code === 0 || r.code === 50, r.stdout + r.stderr);
    const s = statusOf(r.report);
    for (const name of [
      'store-reachable',
      'credentials',
      'bucket',
      'backups',
      'wal-continuity',
      'postgres',
      'archiver',
      'archive-backlog',
      'cluster-identity',
    ]) {
      assert.equal(s[name], 'pass', `${name}: ${find(r.report, name).finding}`);
    }
    for (const name of ['wal-age', 'backup-age']) assert.ok(['pass', 'warn'].includes(s[name]!), name);
    assert.equal(find(r.report, 'backups').value, 2);
    assert.match(find(r.report, 'cluster-identity').finding, new RegExp(bucket.systemId));

    const strict = await check([...store(), '--max-wal-age', '1h', '--max-backup-age', '1h']);
    assert.equal(strict.code, 0, strict.stdout);
    assert.equal(strict.report.result, 'pass');

    const table = await runPgdr(['check', ...store()], { env: s3Env(s3) });
    assert.match(table.stdout, /^CHECK\s+STATUS\s+FINDING\s+HINT$/m);
    assert.match(table.stdout, /^backups\s+PASS\s+2 DONE backup\(s\) of 2, newest \d{8}T\d{6}/m);
  });

  it('wrong credentials: the credentials check fails, the bucket is not judged', async () => {
    const r = await check(store(), { ...s3Env(s3), AWS_SECRET_ACCESS_KEY: 'wrong-secret-value' });
    assert.equal(r.code, 51, r.stderr);
    const s = statusOf(r.report);
    assert.deepEqual(
      [s['store-reachable'], s.credentials, s.bucket, s.backups],
      ['pass', 'fail', 'skip', 'skip'],
    );
    assert.match(find(r.report, 'credentials').hint, /credentials/i);
    assert.ok(!r.stdout.includes('wrong-secret-value'));
  });

  it('wrong endpoint: the store is unreachable, nothing later runs', async () => {
    const r = await check(store({ endpoint: `http://127.0.0.1:${await closedPort()}` }));
    assert.equal(r.code, 51, r.stderr);
    const s = statusOf(r.report);
    assert.deepEqual([s['store-reachable'], s.credentials, s.bucket], ['fail', 'skip', 'skip']);
    assert.match(find(r.report, 'store-reachable').hint, /endpoint/i);
    assert.ok(!r.report.checks.some((c) => c.status === 'pass'));
  });

  it('a missing bucket is named by the bucket check', async () => {
    const r = await check(
      s3Args({ endpoint: s3.endpoint, destination: 's3://no-such-bucket/cnpg', serverName: SERVER }),
    );
    assert.equal(r.code, 51);
    assert.equal(statusOf(r.report).bucket, 'fail');
    assert.match(find(r.report, 'bucket').finding, /no-such-bucket/);
  });

  it('wrong serverName: backups fails and suggests the existing one', async () => {
    const r = await check(store({ serverName: 'database-cnpg-typo' }));
    assert.equal(r.code, 51);
    const b = find(r.report, 'backups');
    assert.equal(b.status, 'fail');
    assert.match(b.finding, /no backups or WAL for serverName 'database-cnpg-typo'/);
    assert.match(b.hint, /server names found under this path: database-cnpg\b/);
    assert.equal(statusOf(r.report)['wal-continuity'], 'skip');
  });

  it('an archive destination that is not empty for a new cluster', async () => {
    const r = await check([...store(), '--new-cluster', SERVER]);
    assert.equal(r.code, 51);
    const d = find(r.report, 'archive-destination');
    assert.equal(d.status, 'fail');
    assert.match(d.finding, /WAL archive check failed for server database-cnpg: Expected empty archive/);
    assert.match(d.hint, /new serverName/);
    const fresh = await check([...store(), '--new-cluster', 'database-cnpg-recovered']);
    assert.equal(find(fresh.report, 'archive-destination').status, 'pass');
  });

  it('a primary whose archive_command fails, and that is not the cluster of the backups', async () => {
    const other = await startPostgres({ major: 17, archiveCommand: '/bin/false' });
    try {
      await other.query('SELECT pg_current_xact_id()');
      await other.query('SELECT pg_switch_wal()');
      for (let i = 0; ; i++) {
        const [a] = await other.query<{ n: string }>('SELECT failed_count AS n FROM pg_stat_archiver');
        if (Number(a?.n) > 0) break;
        assert.ok(i < 600, 'archive_command never failed');
        await new Promise((r) => setTimeout(r, 100));
      }
      const r = await check([...store(), '--connection', other.connectionString]);
      assert.equal(r.code, 51, r.stdout);
      const a = find(r.report, 'archiver');
      assert.equal(a.status, 'fail');
      assert.match(
        a.finding,
        /^archiving is failing: 0000000100000000000000\w\w failed .* last success never/,
      );
      assert.match(a.hint, /server log/);
      const id = find(r.report, 'cluster-identity');
      assert.equal(id.status, 'fail');
      assert.match(id.finding, new RegExp(`the newest backup is of system ${bucket.systemId}`));
      // The bucket itself is fine: the failures are the primary's.
      assert.equal(find(r.report, 'backups').status, 'pass');
    } finally {
      await other.cleanup();
    }
  });

  it('a WAL gap after the newest backup fails wal-continuity and names the segment', async () => {
    const backups = await listBarmanBackups({ s3, destination: bucket.destination, serverName: SERVER });
    const endWal = backups[backups.length - 1]!.end_wal;
    const keys = (
      await listBucketKeys({ endpoint: s3.endpoint, bucket: BUCKET, prefix: `cnpg/${SERVER}/wals/` })
    )
      .filter((k) => /\/[0-9A-F]{24}\.gz$/.test(k))
      .sort();
    const name = (k: string) => k.split('/').pop()!.replace(/\.gz$/, '');
    const after = keys.filter((k) => name(k) > endWal);
    assert.ok(after.length >= 2, `segments after ${endWal}: ${after.join(', ')}`);
    const victim = after[0]!;
    const s3store = bucketStore(s3, BUCKET, 'cnpg');
    await s3store.delete([victim.slice('cnpg/'.length)]);
    await s3store.close();
    const r = await check(store());
    assert.equal(r.code, 51, r.stdout);
    const w = find(r.report, 'wal-continuity');
    assert.equal(w.status, 'fail');
    assert.match(w.finding, new RegExp(`timeline 1: 1 missing WAL segment\\(s\\): ${name(victim)}`));
    assert.match(w.hint, /recovery stops before the gap/);
    assert.equal(w.value, 1);
  });
});

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}
