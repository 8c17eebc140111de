// `pgdr drill --scenario replica` end to end on the bucket the restore drill uses (real barman-cloud tools,
// PostgreSQL 15, Mastodon tables replayed from WAL): a standby built from the archive catches up, is promoted
// and verified, every stage timed; and the bucket gains nothing but the drill history object, because the
// standby never archives.
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bucketStore, copyPrefix, corruptObject } from '../helpers/bucket-copy.js';
import { runPgdr, s3Args, s3Env } from '../helpers/cli.js';
import { buildDrillBucket, type DrillBucket } from '../helpers/drill-bucket.js';
import { type S3rverHandle, startS3rver } from '../helpers/s3rver.js';

const BUCKET = 'replicadrills';

interface Report {
  result: string;
  scenario: string;
  backupId: string | null;
  stages: { name: string; status: string; durationMs: number; detail: string }[];
  rtoMs: number | null;
  rpoMs: number | null;
  checks: { name: string; status: string; finding: string }[];
  historyKey?: string | null;
}

describe('pgdr drill --scenario replica', () => {
  let s3: S3rverHandle;
  let src: DrillBucket;
  let dir: string;

  const snapshot = async () => {
    const store = bucketStore(s3, BUCKET);
    try {
      const { objects } = await store.list('src/');
      return new Map(objects.map((o) => [o.key, o.size]));
    } finally {
      await store.close();
    }
  };

  before(async () => {
    s3 = await startS3rver({ buckets: [BUCKET] });
    dir = await fsp.mkdtemp(join(tmpdir(), 'pgdr-replica-drill-test-'));
    await fsp.chmod(dir, 0o755);
    src = await buildDrillBucket({ s3, bucket: BUCKET, prefix: 'src', serverName: 'mastodon' });
  });
  after(async () => {
    await s3?.stop();
    if (dir) await fsp.rm(dir, { recursive: true, force: true });
  });

  it('passes: standby caught up, promoted, verified, every stage timed; the bucket only gains the history', async () => {
    const before0 = await snapshot();
    const target = { endpoint: s3.endpoint, destination: `s3://${BUCKET}/src`, serverName: src.serverName };
    const r = await runPgdr(
      [
        'drill',
        ...s3Args(target),
        '--scenario',
        'replica',
        '--preset',
        'mastodon',
        '--database',
        'mastodon_production',
        '--max-wal-age',
        '2h',
        '--max-backup-age',
        '2h',
        '--format',
        'json',
      ],
      { env: s3Env(s3), timeoutMs: 600_000 },
    );
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const rep = JSON.parse(r.stdout) as Report;
    assert.equal(rep.result, 'pass');
    assert.equal(rep.scenario, 'replica');
    assert.deepEqual(
      rep.stages.map((s) => [s.name, s.status]),
      ['preflight', 'plan', 'fetch', 'replay', 'promote', 'verify', 'cleanup'].map((n) => [n, 'pass']),
    );
    for (const s of rep.stages) assert.ok(Number.isInteger(s.durationMs) && s.durationMs >= 0, s.name);
    assert.equal(rep.backupId, src.backupId);
    const stage = (n: string) => rep.stages.find((s) => s.name === n)?.detail ?? '';
    assert.match(stage('replay'), /lag at start: .*caught up: 0 segment\(s\)/);
    assert.match(stage('promote'), /timeline 1 -> 2/);
    assert.ok(typeof rep.rtoMs === 'number' && rep.rtoMs > 0);
    assert.ok(typeof rep.rpoMs === 'number' && rep.rpoMs >= 0);
    const statuses = rep.checks.find((c) => c.name === 'mastodon:statuses');
    assert.equal(statuses?.status, 'pass');
    assert.match(statuses?.finding ?? '', new RegExp(String(src.statuses)));
    const removed = /removed (\S+)/.exec(stage('cleanup'))?.[1];
    assert.ok(removed?.includes('pgdr-drill-'), stage('cleanup'));
    await assert.rejects(fsp.stat(removed!), { code: 'ENOENT' });

    // Same keys, same sizes, plus exactly the one history object: the promoted standby archived nothing.
    const now = await snapshot();
    const added = [...now.keys()].filter((k) => !before0.has(k));
    assert.deepEqual(added, [`src/${rep.historyKey}`]);
    assert.deepEqual(new Map([...now].filter(([k]) => before0.has(k))), before0);
  });

  it('fails at fetch when a tar object is corrupted: plan and fetch come from the restore inside replica create', async () => {
    await copyPrefix(s3, BUCKET, 'src', 'corrupt');
    await corruptObject(s3, BUCKET, `corrupt/mastodon/base/${src.backupId}/data.tar.gz`);
    const target = {
      endpoint: s3.endpoint,
      destination: `s3://${BUCKET}/corrupt`,
      serverName: src.serverName,
    };
    const r = await runPgdr(['drill', ...s3Args(target), '--scenario', 'replica', '--format', 'json'], {
      env: s3Env(s3),
      timeoutMs: 600_000,
    });
    assert.notEqual(r.code, 0, r.stdout + r.stderr);
    const rep = JSON.parse(r.stdout) as Report;
    assert.equal(rep.result, 'fail');
    const status = (n: string) => rep.stages.find((s) => s.name === n)?.status;
    assert.deepEqual(
      ['plan', 'fetch', 'replay', 'promote'].map((n) => [n, status(n)]),
      [
        ['plan', 'pass'],
        ['fetch', 'fail'],
        ['replay', 'skip'],
        ['promote', 'skip'],
      ],
    );
    const plan = rep.stages.find((s) => s.name === 'plan')!;
    const fetch = rep.stages.find((s) => s.name === 'fetch')!;
    // restore()'s own plan detail and timing, not a progress note's.
    assert.match(plan.detail, new RegExp(`^backup ${src.backupId} \\(.+\\), timeline 1, `));
    assert.ok(fetch.durationMs > 0, r.stdout);
    assert.match(fetch.detail, /^[A-Z_]+: /);
    assert.equal(rep.backupId, src.backupId);
  });
});
