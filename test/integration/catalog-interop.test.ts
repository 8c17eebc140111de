// Acceptance of the foundation: pgdr reads buckets written by the real barman-cloud 3.4 tools exactly as they do,
// finds gaps, and fails clearly (one line, a hint, a distinct exit code) when the store cannot be used.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  type BarmanBucket,
  buildBarmanBucket,
  listBarmanBackups,
  listBucketKeys,
} from '../helpers/barman-bucket.js';
import { bucketStore } from '../helpers/bucket-copy.js';
import { runPgdr, s3Args, s3Env } from '../helpers/cli.js';
import { type S3rverHandle, startS3rver } from '../helpers/s3rver.js';

const BUCKET = 'mastovault';

describe('pgdr on a bucket written by barman-cloud', () => {
  let s3: S3rverHandle;
  const built = new Map<number, BarmanBucket>();
  before(async () => {
    s3 = await startS3rver({ buckets: [BUCKET] });
    for (const major of [15, 17] as const) {
      built.set(
        major,
        await buildBarmanBucket({
          major,
          s3,
          bucket: BUCKET,
          prefix: 'cnpg',
          serverName: `database-pg${major}`,
          backups: 2,
        }),
      );
    }
  });
  after(async () => s3?.stop());

  const env = () => s3Env(s3);
  const args = (serverName: string) =>
    s3Args({ endpoint: s3.endpoint, destination: `s3://${BUCKET}/cnpg`, serverName });

  for (const major of [15, 17]) {
    it(`backup list --format json matches barman-cloud-backup-list for PostgreSQL ${major}`, async () => {
      const serverName = `database-pg${major}`;
      const bucket = built.get(major)!;
      const theirs = await listBarmanBackups({ s3, destination: bucket.destination, serverName });
      const r = await runPgdr(['backup', 'list', '--format', 'json', ...args(serverName)], { env: env() });
      assert.equal(r.code, 0, r.stderr);
      const ours = (JSON.parse(r.stdout) as { backups_list: Record<string, unknown>[] }).backups_list;
      assert.equal(ours.length, 2);
      const pick = (b: Record<string, unknown>) => [
        b.backup_id,
        b.begin_wal,
        b.end_wal,
        b.begin_xlog,
        b.end_xlog,
        b.timeline,
        b.status,
        b.systemid,
        b.version,
      ];
      assert.deepEqual(ours.map(pick), theirs.map(pick));
      // Not only the fields the acceptance names: the whole objects are the same.
      assert.deepEqual(ours, theirs);
    });
  }

  it('backup list (table) and backup show name the backups', async () => {
    const bucket = built.get(17)!;
    const r = await runPgdr(['backup', 'list', ...args('database-pg17')], { env: env() });
    assert.equal(r.code, 0, r.stderr);
    for (const id of bucket.backupIds)
      assert.match(r.stdout, new RegExp(`^${id}\\s+\\S+ \\S+\\s+0000000100000000000000`, 'm'));
    const show = await runPgdr(['backup', 'show', 'latest', '--format', 'json', ...args('database-pg17')], {
      env: env(),
    });
    assert.equal(show.code, 0, show.stderr);
    const cloud = (JSON.parse(show.stdout) as { cloud: { backup_id: string } }).cloud;
    assert.equal(cloud.backup_id, bucket.backupIds[1]);
  });

  it('status shows a healthy window, then names the missing segment after a WAL object is deleted', async () => {
    const serverName = 'database-pg15';
    const ok = await runPgdr(['status', '--format', 'json', ...args(serverName)], { env: env() });
    assert.equal(ok.code, 0, ok.stderr);
    const before = JSON.parse(ok.stdout) as { verdict: { level: string }; timelines: { gaps: unknown[] }[] };
    assert.notEqual(before.verdict.level, 'fail');
    assert.deepEqual(
      before.timelines.map((t) => t.gaps.length),
      [0],
    );

    const keys = (
      await listBucketKeys({ endpoint: s3.endpoint, bucket: BUCKET, prefix: `cnpg/${serverName}/wals/` })
    )
      .filter((k) => /\/[0-9A-F]{24}\.gz$/.test(k))
      .sort();
    assert.ok(keys.length >= 4, `expected several archived segments, got ${keys.join(', ')}`);
    const victim = keys[Math.floor(keys.length / 2)]!;
    const store = bucketStore(s3, BUCKET, 'cnpg');
    await store.delete([victim.slice('cnpg/'.length)]);
    await store.close();
    const missing = victim.split('/').pop()!.replace(/\.gz$/, '');

    const gap = await runPgdr(['status', ...args(serverName)], { env: env() });
    assert.equal(gap.code, 0, gap.stderr);
    assert.match(gap.stdout, new RegExp(`Gaps on timeline 1[^\\n]*\\n\\s+${missing}`));
    assert.match(gap.stdout, /Verdict: fail/);
    const j = JSON.parse(
      (await runPgdr(['status', '--format', 'json', ...args(serverName)], { env: env() })).stdout,
    );
    assert.deepEqual(j.timelines[0].missing, [missing]);
  });

  describe('errors: one line, a hint, a distinct exit code, no stack trace, no secret', () => {
    const expectError = (
      r: { code: number | null; stderr: string; stdout: string },
      code: number,
      message: RegExp,
      hint: RegExp,
    ) => {
      assert.equal(r.code, code, r.stderr);
      const lines = r.stderr.trimEnd().split('\n');
      assert.equal(lines.length, 2, r.stderr);
      assert.match(lines[0]!, message);
      assert.match(lines[1]!, hint);
      assert.doesNotMatch(r.stderr, /\bat .*\.js:\d+/);
      assert.ok(!r.stderr.includes(s3.secretAccessKey) && !r.stdout.includes(s3.secretAccessKey));
    };

    it('an unreachable endpoint', async () => {
      const port = await closedPort();
      const r = await runPgdr(
        [
          'backup',
          'list',
          ...s3Args({
            endpoint: `http://127.0.0.1:${port}`,
            destination: `s3://${BUCKET}/cnpg`,
            serverName: 'database-pg17',
          }),
        ],
        { env: env() },
      );
      expectError(r, 10, /^pgdr: error: .*(reach|connect)/i, /^hint: .*endpoint/i);
    });

    it('wrong credentials', async () => {
      const r = await runPgdr(['backup', 'list', ...args('database-pg17')], {
        env: { ...env(), AWS_SECRET_ACCESS_KEY: 'wrong-secret-value' },
      });
      expectError(r, 11, /^pgdr: error: /, /^hint: .*credentials/i);
      assert.ok(!r.stderr.includes('wrong-secret-value'));
    });

    it('a missing bucket', async () => {
      const r = await runPgdr(
        [
          'backup',
          'list',
          ...s3Args({
            endpoint: s3.endpoint,
            destination: 's3://no-such-bucket/cnpg',
            serverName: 'database-pg17',
          }),
        ],
        { env: env() },
      );
      expectError(r, 12, /^pgdr: error: .*no-such-bucket/, /^hint: /);
    });

    it('a serverName with no backups lists the ones that exist', async () => {
      const r = await runPgdr(['backup', 'list', ...args('database-cnpg')], { env: env() });
      expectError(
        r,
        13,
        /^pgdr: error: no backups or WAL for serverName 'database-cnpg'/,
        /^hint: server names found under this path: database-pg15, database-pg17/,
      );
    });
  });
});

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}
