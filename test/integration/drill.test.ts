// `pgdr drill` end to end against one bucket written by the real barman-cloud tools (PostgreSQL 15, Mastodon
// tables created after the backup, so they come from WAL replay): a drill passes with every stage timed, RTO and
// RPO, is recorded in the history and notified; and fails, naming the stage, for a deleted WAL segment, a
// corrupted tar, an unmet user check and a PostgreSQL that cannot start. The source bucket only ever gains the
// drill history objects. Failure cases use copies of the prefix, so the source stays good.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { cleanupDrill } from '../../src/drill/drill-cleanup.js';
import { listBarmanBackups } from '../helpers/barman-bucket.js';
import { bucketStore, copyPrefix, corruptObject } from '../helpers/bucket-copy.js';
import { runPgdr, s3Args, s3Env } from '../helpers/cli.js';
import { buildDrillBucket, type DrillBucket } from '../helpers/drill-bucket.js';
import { type S3rverHandle, startS3rver } from '../helpers/s3rver.js';

const BUCKET = 'drills';
const PG15 = '/usr/lib/postgresql/15/bin';

interface Report {
  result: string;
  failedStage: string | null;
  target: { requested: string; time: string | null; reached: boolean | null };
  backupId: string | null;
  stages: { name: string; status: string; durationMs: number; detail: string }[];
  rtoMs: number | null;
  rpoMs: number | null;
  checks: { name: string; status: string; finding: string }[];
  startedAt: string;
  finishedAt: string;
  historyKey?: string | null;
  kept?: { dir: string; connectionString: string | null; stopCommand: string | null } | null;
  notification?: { ok: boolean; detail: string };
}

describe('pgdr drill on a barman-cloud bucket', () => {
  let s3: S3rverHandle;
  let src: DrillBucket;
  let dir: string;
  let hook: Server;
  let hookUrl: string;
  const received: Report[] = [];
  let before0: Map<string, number>;

  const snapshot = async (prefix: string) => {
    const store = bucketStore(s3, BUCKET);
    try {
      const { objects } = await store.list(`${prefix}/`);
      return new Map(objects.map((o) => [o.key, o.size]));
    } finally {
      await store.close();
    }
  };
  const withoutDrills = (m: Map<string, number>) =>
    new Map([...m].filter(([k]) => !k.includes('/pgdr/drills/')));
  const target = (prefix: string) => ({
    endpoint: s3.endpoint,
    destination: `s3://${BUCKET}/${prefix}`,
    serverName: src.serverName,
  });
  const drill = async (prefix: string, args: string[]) => {
    // Generous ages: later cases run minutes after the bucket was written, and staleness is not under test.
    const ages = ['--max-wal-age', '2h', '--max-backup-age', '2h'];
    const r = await runPgdr(['drill', ...s3Args(target(prefix)), '--format', 'json', ...ages, ...args], {
      env: s3Env(s3),
      timeoutMs: 600_000,
    });
    let report: Report | undefined;
    try {
      report = JSON.parse(r.stdout) as Report;
    } catch {
      assert.fail(`no JSON report (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
    }
    return { ...r, report };
  };
  const stage = (r: Report, name: string) => r.stages.find((s) => s.name === name);
  const assertFailed = (r: Awaited<ReturnType<typeof drill>>, at: readonly string[]) => {
    assert.equal(r.code, 52, r.stdout + r.stderr);
    assert.equal(r.report.result, 'fail');
    assert.ok(at.includes(r.report.failedStage ?? ''), `failed at ${r.report.failedStage}: ${r.stdout}`);
    assert.equal(stage(r.report, r.report.failedStage!)?.status, 'fail');
    // Fail-closed: nothing after the failure passes (cleanup aside, which always runs).
    const i = r.report.stages.findIndex((s) => s.status === 'fail');
    for (const s of r.report.stages.slice(i + 1)) {
      if (s.name !== 'cleanup') assert.equal(s.status, 'skip', `${s.name} after the failure`);
    }
    assert.equal(stage(r.report, 'cleanup')?.status, 'pass');
    assert.equal(r.report.rtoMs, null);
    const note = received.at(-1);
    assert.equal(note?.result, 'fail');
    assert.equal(note?.failedStage, r.report.failedStage);
    assert.match((note as { text?: string } | undefined)?.text ?? '', /^pgdr drill FAIL on mastodon: /);
  };
  const goodChecks = () => join(dir, 'good.yaml');
  const badChecks = () => join(dir, 'bad.yaml');

  before(async () => {
    s3 = await startS3rver({ buckets: [BUCKET] });
    dir = await fsp.mkdtemp(join(tmpdir(), 'pgdr-drill-test-'));
    await fsp.chmod(dir, 0o755);
    src = await buildDrillBucket({ s3, bucket: BUCKET, prefix: 'src', serverName: 'mastodon' });
    before0 = await snapshot('src');
    await fsp.writeFile(
      goodChecks(),
      "checks:\n  - name: alice-exists\n    sql: SELECT count(*) FROM accounts WHERE username = 'alice'\n    equals: 1\n",
    );
    await fsp.writeFile(
      badChecks(),
      'checks:\n  - name: enough-statuses\n    sql: SELECT count(*) FROM statuses\n    min: 100000\n',
    );
    hook = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => {
        body += d.toString();
      });
      req.on('end', () => {
        received.push(JSON.parse(body) as Report);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook/secret-token`;
  });
  after(async () => {
    hook?.close();
    await s3?.stop();
    if (dir) await fsp.rm(dir, { recursive: true, force: true });
  });

  it('passes: every stage timed, RTO, RPO, checks, report file, webhook, history', async () => {
    const reportFile = join(dir, 'report.json');
    const r = await drill('src', [
      '--preset',
      'mastodon',
      '--checks',
      goodChecks(),
      '--database',
      'mastodon_production',
      '--report',
      reportFile,
      '--notify',
      hookUrl,
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const rep = r.report;
    assert.equal(rep.result, 'pass');
    assert.deepEqual(
      rep.stages.map((s) => [s.name, s.status]),
      ['preflight', 'plan', 'fetch', 'replay', 'promote', 'verify', 'cleanup'].map((n) => [n, 'pass']),
    );
    for (const s of rep.stages) assert.equal(typeof s.durationMs, 'number', s.name);
    assert.equal(rep.backupId, src.backupId);
    assert.equal(rep.target.requested, 'latest');
    assert.ok(typeof rep.rtoMs === 'number' && rep.rtoMs > 0);
    assert.ok(typeof rep.rpoMs === 'number' && rep.rpoMs >= 0);
    const statuses = rep.checks.find((c) => c.name === 'mastodon:statuses');
    assert.equal(statuses?.status, 'pass');
    assert.match(statuses?.finding ?? '', new RegExp(String(src.statuses)));
    assert.equal(rep.checks.find((c) => c.name === 'alice-exists')?.status, 'pass');
    assert.ok(Date.parse(rep.finishedAt) >= Date.parse(rep.startedAt));
    assert.deepEqual(JSON.parse(await fsp.readFile(reportFile, 'utf8')).stages, rep.stages);
    assert.equal(received.at(-1)?.result, 'pass');
    assert.equal(rep.notification?.ok, true);
    assert.match(rep.historyKey ?? '', /^mastodon\/pgdr\/drills\/\d{8}T\d{6}Z-[0-9a-f]{8}\.json$/);
    // The throwaway folder is gone.
    const removed = /removed (\S+)/.exec(stage(rep, 'cleanup')?.detail ?? '')?.[1];
    assert.ok(removed?.includes('pgdr-drill-'), stage(rep, 'cleanup')?.detail);
    await assert.rejects(fsp.stat(removed!), { code: 'ENOENT' });

    const h = await runPgdr(['drill', 'history', ...s3Args(target('src')), '--format', 'json'], {
      env: s3Env(s3),
    });
    assert.equal(h.code, 0, h.stderr);
    const hist = JSON.parse(h.stdout) as { drills: Report[]; rtoTrend: { drills: number } | null };
    assert.equal(hist.drills[0]?.result, 'pass');
    assert.equal(hist.drills[0]?.rtoMs, rep.rtoMs);
    assert.equal(hist.rtoTrend?.drills, 1);
    const t = await runPgdr(['drill', 'history', ...s3Args(target('src'))], { env: s3Env(s3) });
    assert.match(t.stdout, /PASS/);
    assert.match(t.stdout, /RTO trend/);
  });

  it('the history object is invisible to barman-cloud-backup-list and pgdr check', async () => {
    const list = await listBarmanBackups({
      s3,
      destination: target('src').destination,
      serverName: 'mastodon',
    });
    assert.deepEqual(
      list.map((b) => b.backup_id),
      [src.backupId],
    );
    const c = await runPgdr(['check', ...s3Args(target('src')), '--format', 'json'], { env: s3Env(s3) });
    const checks = (JSON.parse(c.stdout) as Report).checks;
    assert.equal(checks.find((x) => x.name === 'wal-continuity')?.status, 'pass', c.stdout);
  });

  it('reaches a random target inside the recovery window, and markdown renders', async () => {
    const reportFile = join(dir, 'random.json');
    const r = await runPgdr(
      [
        'drill',
        ...s3Args(target('src')),
        '--max-wal-age',
        '2h',
        '--target',
        'random',
        '--keep',
        '--format',
        'markdown',
        '--report',
        reportFile,
      ],
      { env: s3Env(s3), timeoutMs: 600_000 },
    );
    // The report file is written whatever the result: read it first, so a kept server is always stopped.
    const rep = JSON.parse(await fsp.readFile(reportFile, 'utf8')) as Report;
    const client = new pg.Client({ connectionString: rep.kept?.connectionString ?? '' });
    try {
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /\| Stage \| Status \| Duration \| Detail \|/);
      assert.equal(rep.target.requested, 'random');
      assert.ok(rep.target.time);
      assert.equal(rep.target.reached, true, stage(rep, 'replay')?.detail);
      assert.equal(stage(rep, 'promote')?.status, 'pass');
      // --keep leaves the promoted server running for inspection (a random time may precede the Mastodon
      // database, so ask the server itself).
      assert.ok(rep.kept?.connectionString, JSON.stringify(rep.kept));
      await client.connect();
      const rows = await client.query<{ promoted: boolean }>('SELECT NOT pg_is_in_recovery() AS promoted');
      assert.equal(rows.rows[0]?.promoted, true);
    } finally {
      await client.end().catch(() => undefined);
      if (rep.kept) {
        await cleanupDrill({
          workDir: dirname(rep.kept.dir),
          dataDir: rep.kept.dir,
          server: null,
          keep: false,
        });
      }
    }
    assert.ok(rep.kept);
    await assert.rejects(fsp.stat(rep.kept.dir), { code: 'ENOENT' });
  });

  it('fails at verify when a user check is not met', async () => {
    const r = await drill('src', [
      '--checks',
      badChecks(),
      '--database',
      'mastodon_production',
      '--notify',
      hookUrl,
    ]);
    assertFailed(r, ['verify']);
    assert.equal(r.report.checks.find((c) => c.name === 'enough-statuses')?.status, 'fail');
  });

  it('fails when a needed WAL segment is deleted', async () => {
    await copyPrefix(s3, BUCKET, 'src', 'walgap');
    const store = bucketStore(s3, BUCKET);
    try {
      const { objects } = await store.list('walgap/mastodon/wals/');
      const segs = objects.map((o) => o.key).filter((k) => /\/[0-9A-F]{24}(\.gz)?$/.test(k));
      await store.delete([segs.at(-2)!]);
    } finally {
      await store.close();
    }
    const copy0 = withoutDrills(await snapshot('walgap'));
    const r = await drill('walgap', ['--notify', hookUrl]);
    assertFailed(r, ['preflight', 'plan', 'replay']);
    assert.match(stage(r.report, r.report.failedStage!)?.detail ?? '', /gap|missing/i);
    assert.deepEqual(withoutDrills(await snapshot('walgap')), copy0);
  });

  it('fails at fetch when a tar object is corrupted', async () => {
    await copyPrefix(s3, BUCKET, 'src', 'corrupt');
    await corruptObject(s3, BUCKET, `corrupt/mastodon/base/${src.backupId}/data.tar.gz`);
    const r = await drill('corrupt', ['--notify', hookUrl]);
    assertFailed(r, ['fetch']);
    assert.equal(r.report.backupId, src.backupId);
    // The stages come from restore's error (its details), not from its progress notes: the plan stage says
    // what restore planned, and the failed fetch carries the error, timed.
    assert.equal(stage(r.report, 'plan')?.status, 'pass');
    assert.match(
      stage(r.report, 'plan')?.detail ?? '',
      new RegExp(`^backup ${src.backupId} \\(.+\\), timeline 1, `),
    );
    assert.ok((stage(r.report, 'fetch')?.durationMs ?? -1) > 0, r.stdout);
    assert.match(stage(r.report, 'fetch')?.detail ?? '', /^[A-Z_]+: /);

    // pgdr restore says the same in its JSON error: the stage, the backup and the stages as far as it got.
    const into = join(dir, 'corrupt-restore');
    const rr = await runPgdr(['restore', into, ...s3Args(target('corrupt')), '-o', 'json'], {
      env: s3Env(s3),
      timeoutMs: 300_000,
    });
    assert.notEqual(rr.code, 0, rr.stdout);
    const e = JSON.parse(rr.stdout) as {
      error: { details: { stage: string; backupId: string; stages: { name: string; status: string }[] } };
    };
    assert.equal(e.error.details.stage, 'fetch', rr.stdout);
    assert.equal(e.error.details.backupId, src.backupId);
    assert.deepEqual(
      e.error.details.stages.map((s) => [s.name, s.status]),
      [
        ['plan', 'pass'],
        ['fetch', 'fail'],
        ['replay', 'skip'],
        ['promote', 'skip'],
      ],
    );
  });

  it('fails when the embedded PostgreSQL of that major cannot start', async () => {
    const bin = join(dir, 'broken-bin');
    await fsp.mkdir(bin, { mode: 0o755 });
    const version = execFileSync(join(PG15, 'postgres'), ['--version'], { encoding: 'utf8' }).trim();
    // pg_ctl finds postgres next to its own (resolved) path: a copy, not a symlink, so it finds the broken one.
    await fsp.copyFile(join(PG15, 'pg_ctl'), join(bin, 'pg_ctl'));
    await fsp.chmod(join(bin, 'pg_ctl'), 0o755);
    await fsp.symlink(join(PG15, 'initdb'), join(bin, 'initdb'));
    await fsp.writeFile(
      join(bin, 'postgres'),
      `#!/bin/sh\nif [ "$1" = "-V" ] || [ "$1" = "--version" ]; then echo '${version}'; exit 0; fi\necho 'broken postgres' >&2\nexit 1\n`,
      { mode: 0o755 },
    );
    const config = join(dir, 'broken.yaml');
    await fsp.writeFile(config, `postgres:\n  binDir: ${bin}\n`);
    const r = await drill('src', ['--config', config, '--notify', hookUrl]);
    assertFailed(r, ['replay']);
  });

  it('never modified the source bucket except for the drill history objects', async () => {
    const now = await snapshot('src');
    assert.deepEqual(withoutDrills(now), withoutDrills(before0));
    const drills = [...now.keys()].filter((k) => k.includes('/pgdr/drills/'));
    // latest, random, unmet check, broken binaries.
    assert.equal(drills.length, 4);
  });

  it('refuses a target other than latest for the replica scenario (a standby follows the archive to its end)', async () => {
    const r = await runPgdr(
      ['drill', ...s3Args(target('src')), '--scenario', 'replica', '--target', 'random'],
      { env: s3Env(s3) },
    );
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /follows the archive to its end/);
  });
});
