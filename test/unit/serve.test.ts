// The pure parts of `pgdr serve`: the metrics of a state with no signals (they must say so, not go quiet), the
// Prometheus text escaping, the cache in front of the bucket, and the scrubbing of secrets.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PgdrConfig } from '../../src/config/types.js';
import { PgdrError } from '../../src/errors.js';
import type { DashboardState } from '../../src/serve/dashboard-types.js';
import { renderMetrics, renderMetricsOf } from '../../src/serve/metrics.js';
import { failedState, summarize } from '../../src/serve/overview.js';
import { MetricsText } from '../../src/serve/prometheus-text.js';
import { knownSecrets, redactor } from '../../src/serve/redact.js';
import { stateCache } from '../../src/serve/state-cache.js';
import { parsePrometheus, sample } from '../helpers/prometheus.js';

const unreadable: DashboardState = {
  ...failedState(
    {
      version: '0.1.0',
      serverName: 'db',
      destination: 's3://bucket/path',
      objectives: { rpoMs: 360_000, backupAgeMs: 93_600_000, rtoMs: 1_800_000, drillAgeMs: 3_024_000_000 },
    },
    new PgdrError('STORE_UNREACHABLE', 'cannot reach the endpoint'),
  ),
  refreshedAt: '2025-01-01T00:00:00.000Z',
  refreshMs: 12,
};

describe('serve: metrics', () => {
  it('an unreadable bucket reports every signal as absent, not as silence', () => {
    const m = parsePrometheus(renderMetrics(unreadable));
    const s = { server: 'db' };
    assert.equal(sample(m, 'pgdr_up', s), 0);
    assert.equal(sample(m, 'pgdr_recoverable', s), 0);
    for (const name of ['backup', 'wal', 'drill', 'replica']) {
      assert.equal(sample(m, `pgdr_${name}_signal_present`, s), 0, name);
    }
    // Timestamps of things that never happened are absent, not 0 (which would read as 1970).
    assert.equal(m.get('pgdr_last_successful_backup_timestamp_seconds')?.metrics.length ?? 0, 0);
    assert.equal(m.get('pgdr_last_drill_timestamp_seconds')?.metrics.length ?? 0, 0);
    assert.equal(sample(m, 'pgdr_rto_objective_seconds', s), 1800);
    assert.equal(m.has('pgdr_postgres_up'), false, 'no postgres.connection, no postgres metrics');
  });

  it('shows the last verify result per backup, and counts invalid verify records', () => {
    const backup = (backupId: string, verify: DashboardState['backups'][number]['verify']) => ({
      backupId,
      status: 'DONE',
      timeline: 1,
      beginTime: null,
      endTime: null,
      size: null,
      durationMs: null,
      verify,
    });
    const at = '2025-01-01T00:00:00.000Z';
    const m = parsePrometheus(
      renderMetrics({
        ...unreadable,
        backups: [
          backup('20250101T000000', { result: 'pass', partial: true, verifiedAt: at, failureCount: 0 }),
          backup('20250102T000000', { result: 'fail', partial: false, verifiedAt: at, failureCount: 3 }),
          backup('20250103T000000', null),
        ],
        backupVerify: { invalid: 2, error: null },
      }),
    );
    const b = (backup_id: string) => ({ server: 'db', backup_id });
    assert.equal(sample(m, 'pgdr_backup_verify_ok', b('20250101T000000')), 1);
    assert.equal(sample(m, 'pgdr_backup_verify_partial', b('20250101T000000')), 1);
    assert.equal(sample(m, 'pgdr_backup_verify_ok', b('20250102T000000')), 0);
    assert.equal(
      sample(m, 'pgdr_backup_verify_timestamp_seconds', b('20250102T000000')),
      Date.parse(at) / 1000,
    );
    assert.equal(m.get('pgdr_backup_verify_ok')?.metrics.length, 2, 'a backup never verified has no series');
    assert.equal(sample(m, 'pgdr_backup_verify_records_invalid', { server: 'db' }), 2);
  });

  it('escapes label values and HELP text as the text format requires', () => {
    const text = new MetricsText()
      .gauge('pgdr_x', 'help with \\ and\nnewline', { replica: 'a"b\\c\nd' }, 1.23456)
      .render();
    assert.equal(
      text,
      '# HELP pgdr_x help with \\\\ and\\nnewline\n# TYPE pgdr_x gauge\npgdr_x{replica="a\\"b\\\\c\\nd"} 1.235\n',
    );
    const m = parsePrometheus(text);
    assert.equal(m.get('pgdr_x')?.metrics[0]?.labels?.replica, 'a"b\\c\nd');
  });

  it('several servers: each family declared once, each series labelled with its server', () => {
    const text = renderMetricsOf([unreadable, { ...unreadable, serverName: 'other', error: null }]);
    for (const name of ['pgdr_up', 'pgdr_backups', 'pgdr_rto_objective_seconds']) {
      assert.equal(text.split('\n').filter((l) => l === `# TYPE ${name} gauge`).length, 1, name);
    }
    const m = parsePrometheus(text);
    assert.equal(sample(m, 'pgdr_up', { server: 'db' }), 0);
    assert.equal(sample(m, 'pgdr_up', { server: 'other' }), 1);
  });
});

describe('serve: overview of several servers', () => {
  it("a server's row has its newest drill, and a failed load keeps its name and objectives", () => {
    const drill = {
      id: 'd1',
      result: 'fail' as const,
      scenario: 'latest',
      target: 'latest',
      backupId: null,
      startedAt: '2025-01-01T00:00:00.000Z',
      finishedAt: '2025-01-01T00:05:00.000Z',
      rtoMs: null,
      rpoMs: null,
      failedStage: 'verify' as const,
      failure: 'too few rows',
      stages: [],
    };
    const st = { ...unreadable, error: null, drills: { ...unreadable.drills, entries: [drill] } };
    const row = summarize(st);
    assert.deepEqual(row.newestDrill, {
      result: 'fail',
      finishedAt: drill.finishedAt,
      failedStage: 'verify',
    });
    assert.equal(row.path, 'server/db/');
    assert.equal(summarize({ ...st, serverName: 'a b/c' }).path, 'server/a%20b%2Fc/');
    const failed = failedState(unreadable, new Error('boom'));
    assert.equal(failed.serverName, 'db');
    assert.deepEqual(failed.objectives, unreadable.objectives);
    assert.deepEqual(failed.error, { code: 'INTERNAL', message: 'boom', hint: null });
  });
});

describe('serve: state cache', () => {
  it('reads at most once per interval, and concurrent requests share one read', async () => {
    let t = 0;
    let loads = 0;
    const cache = stateCache({
      ttlMs: 1000,
      now: () => t,
      load: async () => {
        loads++;
        await new Promise((r) => setTimeout(r, 5));
        return loads;
      },
    });
    assert.deepEqual(await Promise.all([cache.get(), cache.get(), cache.get()]), [1, 1, 1]);
    t = 999;
    assert.equal(await cache.get(), 1);
    t = 1000;
    assert.equal(await cache.get(), 2);
    assert.equal(loads, 2);
  });

  it('a failed read is not cached', async () => {
    let n = 0;
    const cache = stateCache({
      ttlMs: 60_000,
      load: async () => {
        n++;
        if (n === 1) throw new Error('down');
        return n;
      },
    });
    await assert.rejects(cache.get(), /down/);
    assert.equal(await cache.get(), 2);
  });
});

describe('serve: secrets', () => {
  const config = {
    objectStore: { s3Credentials: { accessKeyId: 'AKID', secretAccessKey: 'wJalr/XUtnFEMI"K7MDENG' } },
    postgres: { connection: 'postgresql://app:p%40ss-w0rd!@db:5432/app' },
  } as unknown as PgdrConfig;

  it('finds the S3 secret and the connection password, and scrubs every form of them', () => {
    const secrets = knownSecrets(config);
    assert.ok(secrets.includes('wJalr/XUtnFEMI"K7MDENG'));
    assert.ok(secrets.includes('p@ss-w0rd!'));
    const scrub = redactor(secrets);
    const body = JSON.stringify({ a: 'x wJalr/XUtnFEMI"K7MDENG y', b: 'postgresql://app:p%40ss-w0rd!@db' });
    const out = scrub(body);
    assert.ok(!out.includes('K7MDENG') && !out.includes('w0rd'), out);
    assert.equal(scrub('nothing secret here'), 'nothing secret here');
  });

  it('finds a Google service-account key, also inside a JSON string', () => {
    const pem = `-----BEGIN PRIVATE KEY-----\n${'A'.repeat(64)}\n${'B'.repeat(64)}\n-----END PRIVATE KEY-----\n`;
    const credentials = { kind: 'service-account', key: { privateKey: pem }, source: 's' };
    const gcs = { ...config, objectStore: { google: { credentials } } } as unknown as PgdrConfig;
    const out = redactor(knownSecrets(gcs))(JSON.stringify({ error: `bad key ${pem}` }));
    assert.ok(!out.includes('AAAAAAAA') && !out.includes('BBBBBBBB'), out);
  });
});
