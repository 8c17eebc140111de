// `pgdr serve` against a real bucket: two barman-cloud backups of PostgreSQL 15 in s3rver, real `pgdr drill`
// runs (passing and one failing at verify) recorded in it, a WAL segment deleted afterwards (a gap), and a
// standby made by `pgdr replica create`. /metrics parses as Prometheus text with the expected values,
// /api/status agrees with `pgdr status`, nothing but GET/HEAD is served, no response holds a secret, and the
// page, loaded in headless Chromium, draws the backups, the gap and the drill chart without a console error.
// PGDR_SCREENSHOTS=docs/ also writes the dashboard's screenshots there.
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Locator } from 'playwright-core';
import { nextSegment } from '../../src/catalog/wal-name.js';
import { loadConfig } from '../../src/config/load.js';
import { dashboardSource } from '../../src/serve/dashboard-source.js';
import { openStore } from '../../src/storage/open-store.js';
import {
  type BarmanBackupJson,
  buildBarmanBucket,
  listBarmanBackups,
  switchWalAndWait,
} from '../helpers/barman-bucket.js';
import { bucketStore } from '../helpers/bucket-copy.js';
import { runPgdr, s3Env } from '../helpers/cli.js';
import { countingStore } from '../helpers/counting-store.js';
import { openDashboard } from '../helpers/dashboard-browser.js';
import { loadRows } from '../helpers/postgres.js';
import { parsePrometheus, sample } from '../helpers/prometheus.js';
import { stopAllRestored, stopPgCtl } from '../helpers/restore-run.js';
import { type S3rverHandle, startS3rver } from '../helpers/s3rver.js';
import { type ServeProcess, startServe } from '../helpers/serve-process.js';

const BUCKET = 'dash';
const SERVER = 'mastodon';
const SCREENSHOTS = process.env.PGDR_SCREENSHOTS;
/** More drills when the screenshots are taken, so the RTO trend has a shape. */
const PASSING_DRILLS = SCREENSHOTS ? 6 : 2;
const EXTRA_WAL = SCREENSHOTS ? 24 : 2;
const PG_PASSWORD = 'pgdr-pg-password-7f3a9c';

interface Drill {
  result: string;
  failedStage: string | null;
  rtoMs: number | null;
  finishedAt: string;
  stages: { name: string; durationMs: number; status: string }[];
}

describe('pgdr serve: dashboard and /metrics on a real bucket', () => {
  let s3: S3rverHandle;
  let dir: string;
  let cfg: string;
  let serveCfg: string;
  let env: NodeJS.ProcessEnv;
  let backups: BarmanBackupJson[];
  let deleted: string;
  const drills: Drill[] = [];
  let serve: ServeProcess;
  let standby: { pgCtl: string; pgdata: string } | undefined;
  let verified: { finishedAt: string; pages: { checked: number } };

  /** Bytes under a prefix, as the bucket lists them. */
  const listed = async (prefix: string) => {
    const store = bucketStore(s3, BUCKET);
    try {
      return (await store.list(prefix)).objects.reduce((a, o) => a + o.size, 0);
    } finally {
      await store.close();
    }
  };
  const get = async (path: string, init?: RequestInit) => {
    const res = await fetch(new URL(path, serve.url), init);
    return { status: res.status, headers: res.headers, body: await res.text() };
  };

  before(async () => {
    s3 = await startS3rver({ buckets: [BUCKET] });
    dir = await fsp.mkdtemp(join(tmpdir(), 'pgdr-serve-test-'));
    await fsp.chmod(dir, 0o755);
    const b = await buildBarmanBucket({
      major: 15,
      s3,
      bucket: BUCKET,
      prefix: 'src',
      serverName: SERVER,
      keepRunning: true,
    });
    try {
      // WAL archived after the newest backup, so the window reaches past it.
      for (let i = 0; i < EXTRA_WAL; i++) {
        await loadRows({ db: b.server!, rows: 100 });
        await switchWalAndWait(b.server!);
      }
    } finally {
      await b.server?.cleanup();
    }
    backups = await listBarmanBackups({ s3, destination: b.destination, serverName: SERVER });
    assert.equal(backups.length, 2);
    const bucketLines = [
      `serverName: ${SERVER}`,
      'objectStore:',
      `  destinationPath: ${b.destination}`,
      `  endpointURL: ${s3.endpoint}`,
    ];
    cfg = join(dir, 'pgdr.yaml');
    await fsp.writeFile(cfg, [...bucketLines, ''].join('\n'), { mode: 0o644 });
    // For serve: the primary in postgres.connection is down, and its password must never show.
    serveCfg = join(dir, 'serve.yaml');
    const pgLines = ['postgres:', `  connection: postgresql://postgres:${PG_PASSWORD}@127.0.0.1:9/postgres`];
    await fsp.writeFile(serveCfg, [...bucketLines, ...pgLines, ''].join('\n'), { mode: 0o644 });
    env = { ...s3Env(s3), XDG_STATE_HOME: join(dir, 'state') };
    // Made first, so it has caught up with the archive by the time the dashboard looks.
    const r = await runPgdr(
      ['replica', 'create', join(dir, 'standby'), '--config', cfg, '--format', 'json'],
      {
        env,
        timeoutMs: 300_000,
      },
    );
    assert.equal(r.code, 0, r.stdout + r.stderr);
    standby = JSON.parse(r.stdout) as { pgCtl: string; pgdata: string };
    const badChecks = join(dir, 'bad.yaml');
    await fsp.writeFile(
      badChecks,
      'checks:\n  - name: enough-rows\n    sql: SELECT count(*) FROM pgdr_load\n    min: 100000000\n',
    );
    const drill = async (extra: string[]) => {
      const ages = ['--max-wal-age', '2h', '--max-backup-age', '2h'];
      const r = await runPgdr(['drill', '--config', cfg, '--format', 'json', ...ages, ...extra], {
        env,
        timeoutMs: 600_000,
      });
      assert.ok(r.code === 0 || r.code === 52, r.stdout + r.stderr);
      drills.push(JSON.parse(r.stdout) as Drill);
    };
    for (let i = 0; i < PASSING_DRILLS; i++) await drill([]);
    await drill(['--checks', badChecks]);
    assert.deepEqual(
      drills.map((d) => d.result),
      [...Array(PASSING_DRILLS).fill('pass'), 'fail'],
    );
    // A segment after the first backup goes missing: that backup's window ends there, the second's does not.
    deleted = nextSegment(backups[0]!.end_wal);
    assert.ok(deleted < backups[1]!.begin_wal, `${deleted} lies between the backups`);
    const store = bucketStore(s3, BUCKET);
    try {
      const keys = (await store.list(`src/${SERVER}/wals/`)).objects
        .map((o) => o.key)
        .filter((k) => k.split('/').at(-1)!.startsWith(deleted));
      assert.equal(keys.length, 1, keys.join());
      await store.delete(keys);
      // The newer backup verified (a PostgreSQL 15 cluster with checksums), a damaged record for the older one.
      const v = await runPgdr(
        ['backup', 'verify', backups[1]!.backup_id, '--config', cfg, '--format', 'json'],
        {
          env,
          timeoutMs: 300_000,
        },
      );
      assert.equal(v.code, 0, v.stdout + v.stderr);
      verified = JSON.parse(v.stdout).backups[0];
      assert.ok(verified.pages.checked > 0, 'pages checked');
      await store.put(`src/${SERVER}/pgdr/verify/${backups[0]!.backup_id}.json`, Buffer.from('{"format":'));
    } finally {
      await store.close();
    }
    serve = await startServe(
      ['--config', serveCfg, '--rpo', '2h', '--max-backup-age', '2h', '--rto', '10m', '--refresh', '1s'],
      env,
    );
  });
  after(async () => {
    await serve?.stop();
    if (standby) await stopPgCtl(standby.pgCtl, standby.pgdata).catch(() => undefined);
    await stopAllRestored();
    await s3?.stop();
    if (dir) await fsp.rm(dir, { recursive: true, force: true });
  });

  it('/metrics parses as Prometheus text and reports the bucket, the gap, the drills and the standby', async () => {
    const r = await get('/metrics');
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const m = parsePrometheus(r.body);
    for (const f of m.values()) {
      assert.match(f.name, /^pgdr_/);
      assert.equal(f.type, 'GAUGE', f.name);
      assert.ok(f.help.length > 0, `${f.name} has HELP`);
    }
    const s = { server: SERVER };
    const tl = { server: SERVER, timeline: '1' };
    assert.equal(sample(m, 'pgdr_up', s), 1);
    assert.equal(sample(m, 'pgdr_backup_signal_present', s), 1);
    assert.equal(sample(m, 'pgdr_backups', { ...s, status: 'DONE' }), 2);
    // barman-cloud-backup-list prints whole seconds; backup.info (which pgdr reads) has microseconds.
    const endOf = (b: BarmanBackupJson) => Date.parse(String(b.end_time)) / 1000;
    const near = (actual: number, expected: number) =>
      assert.ok(Math.abs(actual - expected) < 1, `${actual} is not ${expected}`);
    near(sample(m, 'pgdr_last_successful_backup_timestamp_seconds', s), endOf(backups[1]!));
    assert.equal(
      m.get('pgdr_last_failed_backup_timestamp_seconds')?.metrics.length ?? 0,
      0,
      'no failed backup',
    );
    near(sample(m, 'pgdr_first_recoverability_timestamp_seconds', tl), endOf(backups[0]!));
    assert.equal(sample(m, 'pgdr_wal_gaps', tl), 1);
    assert.equal(sample(m, 'pgdr_wal_missing_segments', tl), 1);
    assert.equal(sample(m, 'pgdr_wal_signal_present', s), 1);
    assert.ok(sample(m, 'pgdr_wal_archive_lag_seconds', s) >= 0);
    assert.ok(sample(m, 'pgdr_newest_wal_timestamp_seconds', tl) <= Date.now() / 1000);
    assert.ok(sample(m, 'pgdr_recovery_window_end_timestamp_seconds', tl) > endOf(backups[1]!));
    assert.equal(
      sample(m, 'pgdr_verdict', { ...s, level: 'warn' }),
      1,
      'a gap before the newest window warns',
    );
    assert.equal(sample(m, 'pgdr_recoverable', s), 1);
    assert.equal(sample(m, 'pgdr_rpo_objective_seconds', s), 7200);
    assert.equal(sample(m, 'pgdr_rto_objective_seconds', s), 600);
    // The newest drill failed at verify; the one before passed.
    const last = drills.at(-1)!;
    assert.equal(sample(m, 'pgdr_drill_signal_present', s), 1);
    assert.equal(sample(m, 'pgdr_last_drill_success', s), 0);
    assert.equal(sample(m, 'pgdr_last_drill_timestamp_seconds', s), Date.parse(last.finishedAt) / 1000);
    assert.equal(
      sample(m, 'pgdr_last_successful_drill_timestamp_seconds', s),
      Date.parse(drills.at(-2)!.finishedAt) / 1000,
    );
    assert.equal(m.get('pgdr_last_drill_rto_seconds')?.metrics.length ?? 0, 0, 'a failed drill has no RTO');
    for (const st of last.stages) {
      const v = sample(m, 'pgdr_last_drill_stage_duration_seconds', {
        ...s,
        stage: st.name,
        status: st.status,
      });
      assert.ok(Math.abs(v - st.durationMs / 1000) < 0.001, st.name);
    }
    assert.equal(sample(m, 'pgdr_replica_signal_present', s), 1);
    const lag = m.get('pgdr_replica_lag_bytes')?.metrics.find((x) => x.labels?.source === 'registry');
    assert.ok(lag && Number(lag.value) >= 0, 'the standby reports its lag');
    assert.equal(sample(m, 'pgdr_postgres_up', s), 0, 'postgres.connection points at a closed port');
    const verifiedBackup = { ...s, backup_id: backups[1]!.backup_id };
    assert.equal(sample(m, 'pgdr_backup_verify_ok', verifiedBackup), 1);
    assert.equal(
      sample(m, 'pgdr_backup_verify_timestamp_seconds', verifiedBackup),
      Date.parse(verified.finishedAt) / 1000,
    );
    assert.equal(m.get('pgdr_backup_verify_ok')?.metrics.length, 1, 'only the verified backup');
    assert.equal(sample(m, 'pgdr_backup_verify_records_invalid', s), 1, 'the damaged record is counted');
  });

  it('/api/status is the state as JSON, its status part as `pgdr status --format json`', async () => {
    const r = await get('/api/status');
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/json');
    const st = JSON.parse(r.body);
    const cli = await runPgdr(['status', '--config', cfg, '--format', 'json'], { env });
    assert.equal(cli.code, 0, cli.stderr);
    const want = JSON.parse(cli.stdout);
    assert.deepEqual(st.status.timelines, want.timelines);
    assert.deepEqual(st.status.backups, want.backups);
    assert.equal(st.serverName, SERVER);
    const t1 = st.timelines.find((t: { timeline: number }) => t.timeline === 1);
    assert.deepEqual(
      t1.backups.map((b: { backupId: string }) => b.backupId),
      backups.map((b) => b.backup_id),
    );
    assert.deepEqual(
      t1.gaps.map((g: { first: string; count: number }) => [g.first, g.count]),
      [[deleted, 1]],
    );
    assert.equal(t1.windows.length, 2, 'the gap splits the archive into two windows');
    assert.equal(st.drills.entries.length, drills.length);
    assert.equal(st.drills.entries[0].failedStage, 'verify');
    assert.equal(st.drills.rtoTrend.drills, PASSING_DRILLS);
    assert.equal(st.primary.reachable, false);
    // Within the refresh interval the bucket is not read again.
    const again = await get('/api/status');
    const a = JSON.parse(again.body).refreshedAt;
    await new Promise((res) => setTimeout(res, 1500));
    const later = JSON.parse((await get('/api/status')).body).refreshedAt;
    assert.ok(Date.parse(later) > Date.parse(a), 'refreshed after the interval');
  });

  it('is read-only, answers loopback Host names only, and no response holds a secret', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const r = await get('/api/status', { method });
      assert.equal(r.status, 405, method);
      assert.equal(r.headers.get('allow'), 'GET, HEAD');
    }
    const head = await get('/metrics', { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    assert.equal((await get('/nope')).status, 404);
    const foreign = await new Promise<number>((resolve, reject) => {
      const req = request(
        new URL('/api/status', serve.url),
        { headers: { host: 'attacker.example' } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
    assert.equal(foreign, 421);
    const page = await get('/');
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    for (const path of ['/', '/api/status', '/metrics', '/healthz']) {
      const body = (await get(path)).body;
      assert.ok(!body.includes(s3.secretAccessKey), `${path} holds the S3 secret`);
      assert.ok(!body.includes(PG_PASSWORD), `${path} holds the PostgreSQL password`);
    }
  });

  it('the page, in headless Chromium, shows the backups, the gap and the drill chart without errors', async () => {
    const d = await openDashboard(serve.url, { width: 1280, height: 900 });
    try {
      const { page } = d;
      const tl = page.locator('[data-timeline="1"]');
      for (const b of backups) assert.equal(await tl.locator(`[data-backup-id="${b.backup_id}"]`).count(), 1);
      const gap = tl.locator(`rect.gap[data-gap-first="${deleted}"]`);
      assert.equal(await gap.count(), 1);
      assert.ok(((await gap.boundingBox())?.width ?? 0) > 0, 'the gap is visible');
      assert.equal(await tl.locator('rect.window').count(), 2);
      assert.match((await tl.textContent()) ?? '', new RegExp(`Gaps: ${deleted}`));
      await checkTimeAxis(tl, backups);
      const chart = page.locator('#rto-chart');
      assert.equal(await chart.locator('circle.rto-point').count(), PASSING_DRILLS);
      assert.equal(await chart.locator('g.drill[data-result="fail"]').count(), 1);
      assert.ok(((await chart.boundingBox())?.height ?? 0) > 50, 'the chart has a size');
      assert.equal(await page.locator('#drill-table tr[data-result]').count(), drills.length);
      assert.equal(await page.locator('#card-drill').getAttribute('data-level'), 'fail');
      assert.equal(await page.locator('#verdict').getAttribute('data-level'), 'warn');
      assert.match((await page.locator('#replicas').textContent()) ?? '', /registry/);
      const verifyCell = (id: string) => page.locator(`[data-backup-row="${id}"] td[data-verify]`);
      assert.equal(await verifyCell(backups[1]!.backup_id).getAttribute('data-verify'), 'pass');
      assert.equal(await verifyCell(backups[0]!.backup_id).getAttribute('data-verify'), 'none');
      assert.match((await page.locator('#verify-records').textContent()) ?? '', /1 verify record/);
      for (const b of backups) {
        // What the backup's objects occupy in the bucket (barman-cloud writes size=None), and how long it took.
        const keys = await listed(`src/${SERVER}/base/${b.backup_id}/`);
        const row = page.locator(`[data-backup-row="${b.backup_id}"]`);
        const size = row.locator('td[data-size]');
        assert.equal(Number(await size.getAttribute('data-size')), keys, b.backup_id);
        assert.match((await size.textContent()) ?? '', /^\d+(\.\d)? (B|KiB|MiB|GiB)$/);
        const took = Date.parse(String(b.end_time)) - Date.parse(String(b.begin_time));
        const ms = Number(await row.locator('td[data-duration-ms]').getAttribute('data-duration-ms'));
        assert.ok(ms > 0 && Math.abs(ms - took) < 2000, `${b.backup_id} took ${ms} ms, listed ${took}`);
      }
      const trend = page.locator('#rto-trend');
      assert.equal(await trend.getAttribute('data-result'), 'fail');
      assert.match((await trend.textContent()) ?? '', /newest drill FAIL .* \(failed at verify\)/);
      assert.match((await page.locator('#primary-down').textContent()) ?? '', /Primary unreachable/);
      // WAL and backups listed now: the growth curve ends at what the bucket holds.
      const walBytes = await listed(`src/${SERVER}/wals/`);
      let backupBytes = 0;
      for (const b of backups) backupBytes += await listed(`src/${SERVER}/base/${b.backup_id}/`);
      const facts = page.locator('#growth-facts');
      assert.equal(Number(await facts.getAttribute('data-wal')), walBytes);
      assert.equal(Number(await facts.getAttribute('data-total')), walBytes + backupBytes);
      assert.ok((await page.locator('#growth rect.wal-bar').count()) >= 1, 'WAL bars drawn');
      if (SCREENSHOTS) {
        await fsp.mkdir(SCREENSHOTS, { recursive: true });
        await page.screenshot({ path: join(SCREENSHOTS, 'dashboard.png'), fullPage: true });
        await page.locator('#drills').screenshot({ path: join(SCREENSHOTS, 'dashboard-drills.png') });
      }
      assert.deepEqual(d.problems, []);
    } finally {
      await d.close();
    }
  });

  it('a refresh makes a fixed number of LIST calls once the WAL listing is cached, and re-reads no backup.info', async () => {
    const config = loadConfig({ overrides: { configFile: cfg }, env, cwd: dir });
    const c = countingStore(await openStore(config.objectStore));
    const objectives = { rpoMs: 7_200_000, backupAgeMs: 7_200_000, rtoMs: 600_000, drillAgeMs: 86_400_000 };
    const source = await dashboardSource({
      config,
      objectives,
      refreshMs: 0,
      env,
      store: c.store,
      fullWalListEvery: 3,
    });
    const p = `${SERVER}/`;
    // pgdr's incremental backups are listed too (one LIST per refresh): they are restore points.
    const each = [`${p}pgdr/drills/`, `${p}pgdr/verify/`, `${p}pgdr/incremental/`];
    try {
      const refresh = async () => {
        c.calls.length = 0;
        c.gets.length = 0;
        assert.equal((await source.state()).error, null);
        return [...c.calls].sort();
      };
      // The first refresh lists the WAL whole and each finished backup's objects once (their sizes).
      const sizes = backups.map((b) => `${p}base/${b.backup_id}/`);
      // The backup folders are listed whole (no delimiter): the listing says which backup.info changed.
      const base = [`${p} (/)`, `${p}base/`];
      const infos = (gets: string[]) => gets.filter((k) => k.endsWith('/backup.info')).sort();
      assert.deepEqual(await refresh(), [...base, ...sizes, ...each, `${p}wals/`].sort());
      assert.deepEqual(
        infos(c.gets),
        backups.map((b) => `${p}base/${b.backup_id}/backup.info`).sort(),
        'the first refresh reads each backup.info once',
      );
      // Then: the WAL folders and the newest one of timeline 1 only.
      const wal = [`${p}wals/ (/)`, `${p}wals/${backups[1]!.end_wal.slice(0, 16)}/`];
      for (let i = 0; i < 2; i++) {
        assert.deepEqual(await refresh(), [...base, ...each, ...wal].sort());
        assert.deepEqual(infos(c.gets), [], 'an unchanged bucket: no backup.info read again');
      }
      assert.deepEqual(await refresh(), [...base, ...each, `${p}wals/`].sort(), 'every third: all WAL');
    } finally {
      await source.close();
      await c.store.close();
    }
  });

  it('an unreachable bucket turns pgdr_up and the signals to 0, and the page says why', async () => {
    await s3.stop();
    await new Promise((res) => setTimeout(res, 1100));
    const m = parsePrometheus((await get('/metrics')).body);
    const s = { server: SERVER };
    assert.equal(sample(m, 'pgdr_up', s), 0);
    assert.equal(sample(m, 'pgdr_backup_signal_present', s), 0);
    assert.equal(sample(m, 'pgdr_wal_signal_present', s), 0);
    assert.equal(sample(m, 'pgdr_recoverable', s), 0);
    const st = JSON.parse((await get('/api/status')).body);
    assert.equal(st.error.code, 'STORE_UNREACHABLE', JSON.stringify(st.error));
    const d = await openDashboard(serve.url);
    try {
      assert.match((await d.page.locator('#error').textContent()) ?? '', /STORE_UNREACHABLE/);
      assert.deepEqual(d.problems, []);
    } finally {
      await d.close();
    }
  });

  it('stops cleanly on SIGTERM (exit 0) and frees its port', async () => {
    const code = await serve.stop('SIGTERM');
    assert.equal(code, 0, serve.output());
    await assert.rejects(
      fetch(new URL('/healthz', serve.url)),
      (e) => (e as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED',
    );
  });
});

/** Each backup's marker sits where its end time falls on the chart's UTC axis; tick labels do not overlap. */
async function checkTimeAxis(tl: Locator, backups: readonly BarmanBackupJson[]): Promise<void> {
  const chart = tl.locator('svg.tl-svg');
  const box = (await chart.boundingBox())!;
  const attr = async (name: string) => Number(await chart.getAttribute(name));
  const from = await attr('data-from');
  const to = await attr('data-to');
  const left = await attr('data-left');
  const right = await attr('data-right');
  const scale = box.width / 1000;
  const xs: Array<[number, number]> = [];
  for (const b of backups) {
    const g = tl.locator(`[data-backup-id="${b.backup_id}"]`);
    const t = Date.parse((await g.getAttribute('data-time')) ?? '');
    // barman-cloud-backup-list prints whole seconds; backup.info has microseconds.
    assert.ok(Math.abs(t - Date.parse(String(b.end_time))) < 1000, `${b.backup_id} carries its end time`);
    const m = (await g.locator('path.marker').boundingBox())!;
    const want = box.x + (left + ((t - from) / (to - from)) * (1000 - left - right)) * scale;
    assert.ok(
      Math.abs(m.x + m.width / 2 - want) < 2,
      `${b.backup_id} at x=${m.x + m.width / 2}, want ${want}`,
    );
    xs.push([t, m.x]);
  }
  xs.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < xs.length; i++) assert.ok(xs[i]![1] > xs[i - 1]![1], 'x grows with time');
  const labels = await chart.locator('text.tick-label').all();
  assert.ok(labels.length >= 2, `${labels.length} tick labels`);
  const boxes = (await Promise.all(labels.map((l) => l.boundingBox()))).map((b) => b!);
  boxes.sort((a, b) => a.x - b.x);
  for (let i = 1; i < boxes.length; i++)
    assert.ok(boxes[i]!.x > boxes[i - 1]!.x + boxes[i - 1]!.width, 'tick labels overlap');
  const texts = await Promise.all(labels.map((l) => l.getAttribute('data-t')));
  for (const [i, l] of labels.entries()) {
    const iso = new Date(Number(texts[i])).toISOString();
    assert.ok(iso.includes((await l.textContent())!.slice(-5)), "the label is the tick's UTC time");
  }
}
