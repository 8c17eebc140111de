// The drill's pure parts: fail-closed stage recording and result, RTO/RPO arithmetic, the random target's
// bounds and the reached judgement, history keys and the RTO trend, the webhook's retry, and a partial
// verification never shown as a plain pass.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { StepRunner } from '../../src/common/steps.js';
import { cleanupStage } from '../../src/drill/drill-cleanup.js';
import { drillSummary, drillText } from '../../src/drill/drill-format.js';
import { historyKey } from '../../src/drill/drill-history.js';
import { judgeReached, resolveTarget } from '../../src/drill/drill-target.js';
import type { DrillReport, StageName, StageRunner } from '../../src/drill/drill-types.js';
import { finishReport } from '../../src/drill/finish-report.js';
import { rtoTrend, sparkline } from '../../src/drill/history-format.js';
import { notifyWebhook, redactUrl } from '../../src/drill/notify.js';
import type { StatusResult } from '../../src/engine/status.js';
import type { AmcheckSummary } from '../../src/verify/amcheck-findings.js';

const finish = (runner: StageRunner, verification: AmcheckSummary | null = null) =>
  finishReport({
    id: 'abc',
    scenario: 'restore',
    serverName: 's',
    destination: 'd',
    target: { requested: 'latest', time: null, reached: null },
    runner,
    status: null,
    restored: null,
    checks: [],
    verification,
    backupId: null,
    kept: null,
    startedAt: new Date(),
  });

const ALL: StageName[] = ['preflight', 'plan', 'fetch', 'replay', 'promote', 'verify', 'cleanup'];

describe('drill stages and result', () => {
  it('skips every stage after a failure, still runs cleanup, and fails', async () => {
    const r = new StepRunner<StageName>();
    await r.run('preflight', async () => ({ value: 1, detail: 'ok' }));
    await r.run('plan', async () => {
      throw Object.assign(new Error('no backups'), { code: 'NO_BACKUPS', hint: 'check serverName' });
    });
    assert.equal(await r.run('fetch', async () => ({ value: 1, detail: 'ran' })), undefined);
    await cleanupStage(r, async () => 'removed');
    assert.deepEqual(
      r.results.map((s) => [s.name, s.status]),
      [
        ['preflight', 'pass'],
        ['plan', 'fail'],
        ['fetch', 'skip'],
        ['cleanup', 'pass'],
      ],
    );
    assert.equal(r.results[1]?.detail, 'NO_BACKUPS: no backups (check serverName)');
    const rep = finish(r);
    assert.equal(rep.result, 'fail');
    assert.equal(rep.failedStage, 'plan');
    assert.equal(rep.rtoMs, null);
  });

  it('passes only when every stage is present and passed; RTO sums plan..verify', () => {
    const r = new StepRunner<StageName>();
    for (const [i, name] of ALL.entries()) r.record({ name, status: 'pass', durationMs: i + 1, detail: '' });
    const rep = finish(r);
    assert.equal(rep.result, 'pass');
    assert.equal(rep.rtoMs, 2 + 3 + 4 + 5 + 6);
    const missing = new StepRunner<StageName>();
    for (const name of ALL.filter((n) => n !== 'verify')) {
      missing.record({ name, status: 'pass', durationMs: 1, detail: '' });
    }
    assert.equal(finish(missing).result, 'fail');
    const skipped = new StepRunner<StageName>();
    for (const name of ALL)
      skipped.record({ name, status: name === 'verify' ? 'skip' : 'pass', durationMs: 1, detail: '' });
    assert.equal(finish(skipped).result, 'fail');
  });

  it('a stage body may judge itself failed', async () => {
    const r = new StepRunner<StageName>();
    const v = await r.run('verify', async () => ({
      value: 1,
      status: 'fail' as const,
      detail: 'a check failed',
    }));
    assert.equal(v, undefined);
    assert.equal(r.failed, true);
  });
});

describe('drill targets', () => {
  const at = (iso: string) => new Date(iso);
  const status = {
    report: {
      current: {
        timeline: 1,
        firstRecoverabilityPoint: { backupId: 'b', time: { date: at('2026-01-01T00:00:00Z') }, lsn: null },
        window: { to: { name: '000000010000000000000009', lastModified: at('2026-01-01T02:00:00Z') } },
      },
    },
    wal: {
      timelines: new Map([
        [
          1,
          {
            segments: [
              { name: '000000010000000000000008', lastModified: at('2026-01-01T01:00:00Z') },
              { name: '000000010000000000000009', lastModified: at('2026-01-01T02:00:00Z') },
            ],
          },
        ],
      ]),
    },
  } as unknown as StatusResult;

  it('picks random times between the backup end (+1 s) and the second-newest segment', () => {
    assert.equal(resolveTarget('random', status, () => 0).time, '2026-01-01T00:00:01.000Z');
    assert.equal(resolveTarget('random', status, () => 0.999999).time?.slice(0, 16), '2026-01-01T00:59');
    assert.equal(resolveTarget('random', status, () => 0.5).target.kind, 'time');
  });

  it('refuses random without a window, and resolves latest and times', () => {
    assert.throws(() => resolveTarget('random', null), /no recovery window/);
    assert.equal(resolveTarget('latest', null).target.kind, 'latest');
    assert.equal(resolveTarget('2026-01-01 00:30:00+00', null).time, '2026-01-01T00:30:00.000Z');
  });

  it('a time target is reached when nothing after it was replayed', () => {
    assert.equal(judgeReached(null, null).ok, true);
    assert.equal(judgeReached('2026-01-01T00:30:00Z', '2026-01-01T00:29:59Z').ok, true);
    assert.equal(judgeReached('2026-01-01T00:30:00Z', '2026-01-01T00:30:01Z').ok, false);
    assert.equal(judgeReached('2026-01-01T00:30:00Z', null).ok, true);
  });
});

describe('drill history', () => {
  it('keys sort by start time and live outside base/ and wals/', () => {
    const a = historyKey('srv', { startedAt: '2026-01-02T03:04:05.678Z', id: 'ffffffff' });
    const b = historyKey('srv', { startedAt: '2026-01-10T00:00:00.000Z', id: '00000000' });
    assert.equal(a, 'srv/pgdr/drills/20260102T030405Z-ffffffff.json');
    assert.ok(a < b);
  });

  it('the RTO trend covers drills with an RTO, oldest first', () => {
    const entry = (rtoMs: number | null) => ({
      key: 'k',
      problem: null,
      report: { rtoMs } as DrillReport,
    });
    const t = rtoTrend([entry(3000), entry(null), entry(1000), entry(2000)]);
    assert.deepEqual(
      { ...t, sparkline: undefined },
      { drills: 3, minMs: 1000, medianMs: 2000, maxMs: 3000, latestMs: 3000, sparkline: undefined },
    );
    assert.equal(t?.sparkline, '▅▁█');
    assert.equal(rtoTrend([entry(null)]), null);
    assert.equal(sparkline([5, 5]), '▄▄');
  });
});

describe('drill webhook', () => {
  it('retries once and reports delivery; redacts the URL', async () => {
    const bodies: string[] = [];
    const server = createServer((req, res) => {
      let b = '';
      req.on('data', (d: Buffer) => {
        b += d.toString();
      });
      req.on('end', () => {
        bodies.push(b);
        res.writeHead(bodies.length === 1 ? 503 : 200).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/T0KEN?x=1`;
    try {
      const r = await notifyWebhook({ url, body: { result: 'fail' }, retryDelayMs: 10 });
      assert.equal(r.ok, true, r.detail);
      assert.match(r.detail, /attempt 2/);
      assert.equal(bodies.length, 2);
      assert.deepEqual(JSON.parse(bodies[1]!), { result: 'fail' });
      assert.ok(!r.url.includes('T0KEN'));
      const down = await notifyWebhook({ url, body: {}, retryDelayMs: 10 });
      assert.equal(down.ok, true);
    } finally {
      server.close();
    }
    const dead = await notifyWebhook({ url: 'http://127.0.0.1:1/x', body: {}, retryDelayMs: 10 });
    assert.equal(dead.ok, false);
    assert.match(dead.detail, /not delivered after 2 attempts/);
    assert.equal(redactUrl('https://hooks.slack.com/services/A/B/C'), 'https://hooks.slack.com/services/…');
  });
});

describe('the drill report says partial', () => {
  const report = (verification: AmcheckSummary) => {
    const runner = new StepRunner<StageName>();
    for (const name of ALL) runner.record({ name, status: 'pass', durationMs: 1, detail: '' });
    return finish(runner, verification);
  };
  const summary: AmcheckSummary = {
    databases: 1,
    tables: 100,
    toast: 20,
    matviews: 0,
    relationsFound: 400,
    indexes: 0,
    indexesFound: 300,
    pages: 900,
    failures: 0,
    partial: '120 of 400 relations checked in the 10m budget',
  };

  it('in the result line, the counts and the one-line summary', () => {
    const r = report(summary);
    assert.equal(r.result, 'pass');
    const text = drillText(r);
    assert.match(
      text,
      /^Result: PASS \(partial verification: 120 of 400 relations checked in the 10m budget\)$/m,
    );
    assert.match(
      text,
      /^Verified: 120 relations \(100 tables, 20 TOAST, 0 materialized views\) and 0 btree indexes in 1 database, 900 pages; 0 failure\(s\); PARTIAL: /m,
    );
    assert.match(drillSummary(r), /partial verification/);
    const full = report({ ...summary, partial: null });
    assert.match(drillText(full), /^Result: PASS$/m);
    assert.doesNotMatch(drillSummary(full), /partial/);
  });
});
