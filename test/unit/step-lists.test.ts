// Step lists from one source: the shared text renderer (src/cli/steps-text.ts), the demo's summary rendered
// from its scenario steps, and a failed restore's error naming its stage (src/engine/restore/stage-clock.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { summaryText } from '../../src/cli/commands/demo-summary.js';
import { stepsTable } from '../../src/cli/steps-text.js';
import { NOT_RUN, type StepResult } from '../../src/common/steps.js';
import type { ScenarioResult } from '../../src/demo/scenario.js';
import type { DownloadResult } from '../../src/engine/restore/download.js';
import type { RestorePlan } from '../../src/engine/restore/plan.js';
import { failedStages, StageClock } from '../../src/engine/restore/stage-clock.js';
import { PgdrError } from '../../src/errors.js';

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

const steps: StepResult[] = [
  { name: 'backup', status: 'pass', durationMs: 5049, detail: 'backed up' },
  { name: 'restore', status: 'fail', durationMs: 120, detail: 'CATALOG_INVALID: bad tar' },
  { name: 'verify', status: 'skip', durationMs: 0, detail: NOT_RUN },
  { name: 'stop', status: 'skip', durationMs: 0, detail: 'not asked' },
];

describe('stepsTable', () => {
  it('renders each step with its status word and duration, a step never run without one, and the total', () => {
    const text = stepsTable(steps, {
      columns: [['detail', (s) => s.detail]],
      total: ['total', 'FAILED', 5169],
    });
    assert.deepEqual(text.split('\n'), [
      'step     status   duration  detail',
      'backup   done     5.0 s     backed up',
      'restore  failed   0.1 s     CATALOG_INVALID: bad tar',
      `verify   not run            ${NOT_RUN}`,
      'stop     skipped  0.0 s     not asked',
      'total    FAILED   5.2 s',
    ]);
  });
});

describe('demo summary', () => {
  it('is rendered from the scenario steps, with the RTO and data lost of each result', () => {
    const result = (id: string, rtoMs: number | null, dataLost: string) =>
      ({ id, rtoMs, dataLost }) as unknown as ScenarioResult;
    const text = summaryText({
      steps: [
        { name: 'status', title: 'Recovery window and RPO', status: 'pass', durationMs: 800, detail: '' },
        {
          name: 'pitr',
          title: 'Scenario 2: PITR',
          status: 'fail',
          durationMs: 9100,
          detail: 'only 3 of 5 back',
        },
      ],
      results: [result('status', null, 'RPO now 1s'), result('pitr', 5900, '2 of 5 deleted rows')],
      wallMs: 20_000,
    });
    assert.deepEqual(text.split('\n'), [
      'Summary',
      'Scenario                 Result  Time   RTO measured  Data lost',
      'Recovery window and RPO  passed  0.8 s  -             RPO now 1s',
      'Scenario 2: PITR         FAILED  9.1 s  5.9 s         2 of 5 deleted rows',
      '',
      '  pitr: only 3 of 5 back',
      '',
      '1 of 2 scenarios FAILED: pitr.',
    ]);
  });
});

describe('a failed restore names its stage', () => {
  const plan = {
    backup: { backupId: '20261205T010203' },
    reason: 'newest DONE backup',
    timeline: 1,
    wal: { segments: 3 },
    tars: [{}, {}],
  } as unknown as RestorePlan;
  const download = { downloadedBytes: 100, files: 7 } as DownloadResult;

  it('before the plan: plan failed, the rest not run, no backup', () => {
    const e = new StageClock().failed(
      new PgdrError('NO_BACKUPS', 'no backups', { details: { serverName: 'x' } }),
    );
    assert.equal(e.code, 'NO_BACKUPS');
    assert.equal(e.details?.serverName, 'x', 'the error keeps its own details');
    const f = failedStages(e);
    assert.equal(f?.stage, 'plan');
    assert.equal(f?.backupId, null);
    assert.deepEqual(
      f?.stages.map((s) => [s.name, s.status, s.detail]),
      [
        ['plan', 'fail', 'NO_BACKUPS: no backups'],
        ['fetch', 'skip', NOT_RUN],
        ['replay', 'skip', NOT_RUN],
        ['promote', 'skip', NOT_RUN],
      ],
    );
  });

  it('in fetch: the plan passed with what it planned, fetch failed, timed', async () => {
    const clock = new StageClock();
    clock.planned(plan);
    await pause(15);
    const e = clock.failed(new PgdrError('CATALOG_INVALID', 'corrupt tar', { hint: 'check the bucket' }));
    const f = failedStages(e);
    assert.equal(f?.stage, 'fetch');
    assert.equal(f?.backupId, '20261205T010203');
    assert.equal(e.hint, 'check the bucket');
    assert.deepEqual(f?.stages[0], {
      name: 'plan',
      status: 'pass',
      durationMs: f?.stages[0]?.durationMs,
      detail: 'backup 20261205T010203 (newest DONE backup), timeline 1, 3 WAL segment(s)',
    });
    assert.equal(f?.stages[1]?.status, 'fail');
    assert.ok((f?.stages[1]?.durationMs ?? 0) > 0, JSON.stringify(f?.stages[1]));
    assert.equal(f?.stages[1]?.detail, 'CATALOG_INVALID: corrupt tar (check the bucket)');
  });

  it('in promote, after the target was reached', () => {
    const clock = new StageClock();
    clock.planned(plan);
    clock.fetched(plan, download);
    clock.reached();
    const f = failedStages(clock.failed(new PgdrError('POSTGRES_ERROR', 'promote failed')));
    assert.equal(f?.stage, 'promote');
    assert.deepEqual(
      f?.stages.map((s) => [s.name, s.status]),
      [
        ['plan', 'pass'],
        ['fetch', 'pass'],
        ['replay', 'pass'],
        ['promote', 'fail'],
      ],
    );
    assert.equal(f?.stages[1]?.detail, '2 tar(s), 100 bytes downloaded, 7 files extracted');
  });

  it('an error that is not a PgdrError becomes one; an abort stays an abort', () => {
    const clock = new StageClock();
    clock.planned(plan);
    const bug = clock.failed(new TypeError('x is undefined'));
    assert.equal(bug.code, 'INTERNAL');
    assert.equal(failedStages(bug)?.stage, 'fetch');
    const ac = new AbortController();
    ac.abort(new PgdrError('ABORTED', 'interrupted by a signal'));
    const aborted = clock.failed(new DOMException('aborted', 'AbortError'), ac.signal);
    assert.equal(aborted.code, 'ABORTED');
    assert.equal(aborted.message, 'interrupted by a signal');
    assert.equal(failedStages(aborted)?.stage, 'fetch');
  });

  it('an error from elsewhere names no stage', () => {
    assert.equal(failedStages(new PgdrError('INTERNAL', 'x', { details: { stage: 'fetch' } })), undefined);
    assert.equal(failedStages(new Error('x')), undefined);
  });
});
