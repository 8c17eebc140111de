import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NOT_RUN, runSteps, type Step, StepRunner } from '../../src/common/steps.js';
import { PgdrError } from '../../src/errors.js';

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

function step(id: string, run: (log: string[]) => Promise<string | { skipped: string }>, always = false) {
  return { id, title: `step ${id}`, always, run } satisfies Step<string[]>;
}

describe('step runner', () => {
  it('runs steps in order, times each, and passes only when every step ran and passed', async () => {
    const events: string[] = [];
    const log: string[] = [];
    const r = await runSteps(
      [
        step('a', async (l) => {
          l.push('a');
          await pause(20);
          return 'did a';
        }),
        step('b', async (l) => {
          l.push('b');
          return 'did b';
        }),
      ],
      log,
      { progress: { emit: (e) => events.push(e.message) } },
    );
    assert.deepEqual(log, ['a', 'b']);
    assert.deepEqual(events, ['step a', 'step b']);
    assert.deepEqual(
      r.steps.map((s) => [s.name, s.title, s.status, s.detail]),
      [
        ['a', 'step a', 'pass', 'did a'],
        ['b', 'step b', 'pass', 'did b'],
      ],
    );
    assert.ok(r.steps.every((s) => Number.isInteger(s.durationMs) && s.durationMs >= 0));
    // The first step waited; a duration that was not measured would be 0.
    assert.ok(r.steps[0]!.durationMs > 0, JSON.stringify(r.steps));
    assert.ok(r.totalMs >= r.steps[0]!.durationMs + r.steps[1]!.durationMs);
    assert.equal(r.result, 'pass');
    assert.equal(r.ok, true);
    assert.equal(r.failure, undefined);
  });

  it('a failure stops the later steps (skipped, not run), clean-up still runs, the whole fails', async () => {
    const log: string[] = [];
    const r = await runSteps(
      [
        step('a', async () => 'ok'),
        step('b', async () => {
          throw new PgdrError('K8S_TIMEOUT', 'never ready', { hint: 'raise --timeout' });
        }),
        step('c', async (l) => {
          l.push('c');
          return 'ok';
        }),
        step(
          'cleanup',
          async (l) => {
            l.push('cleanup');
            return 'removed';
          },
          true,
        ),
      ],
      log,
    );
    assert.deepEqual(log, ['cleanup']);
    assert.deepEqual(
      r.steps.map((s) => [s.name, s.status, s.detail]),
      [
        ['a', 'pass', 'ok'],
        ['b', 'fail', 'K8S_TIMEOUT: never ready (raise --timeout)'],
        ['c', 'skip', NOT_RUN],
        ['cleanup', 'pass', 'removed'],
      ],
    );
    assert.equal(r.steps[2]!.durationMs, 0);
    assert.equal(r.result, 'fail');
    assert.equal(r.ok, false);
    assert.equal(r.failure?.step, 'b');
    assert.equal(r.failure?.error.code, 'K8S_TIMEOUT');
  });

  it('a step that says it is not applicable is a skip with its reason: the whole is partial, never pass', async () => {
    const r = await runSteps(
      [step('a', async () => 'ok'), step('pooler', async () => ({ skipped: 'no Pooler configured' }))],
      [],
    );
    assert.deepEqual(
      r.steps.map((s) => [s.name, s.status, s.detail]),
      [
        ['a', 'pass', 'ok'],
        ['pooler', 'skip', 'no Pooler configured'],
      ],
    );
    assert.equal(r.result, 'partial');
    // Nothing failed and nothing was left undone by a failure.
    assert.equal(r.ok, true);
  });

  it('an expected step never recorded makes the whole partial; a pass recorded after a failure is not counted', () => {
    const r = new StepRunner<'plan' | 'fetch' | 'verify'>();
    r.record({ name: 'plan', status: 'pass', durationMs: 5, detail: 'planned' });
    assert.equal(r.verdict(['plan', 'fetch']), 'partial');
    r.record({ name: 'fetch', status: 'pass', durationMs: 7, detail: 'fetched' });
    assert.equal(r.verdict(['plan', 'fetch']), 'pass');
    r.fail('verify', 'a check failed', 3);
    r.record({ name: 'fetch', status: 'pass', durationMs: 1, detail: 'late' });
    assert.equal(r.results.at(-1)?.status, 'skip');
    assert.match(r.results.at(-1)!.detail, /^not counted, an earlier step failed/);
    assert.equal(r.verdict(['plan', 'fetch']), 'fail');
    assert.equal(r.failure?.step, 'verify');
  });

  it('a body may judge itself failed, give its own duration, and a plain Error is kept as INTERNAL', async () => {
    const r = new StepRunner();
    const v = await r.run('verify', async () => ({
      value: 1,
      status: 'fail' as const,
      detail: 'bad',
      durationMs: 42,
    }));
    assert.equal(v, undefined);
    assert.deepEqual(r.results[0], { name: 'verify', status: 'fail', durationMs: 42, detail: 'bad' });
    assert.equal(r.verdict(), 'fail');
    const e = new StepRunner();
    assert.equal(
      await e.run('x', async () => {
        throw new Error('boom');
      }),
      undefined,
    );
    assert.equal(e.results[0]?.detail, 'boom');
    assert.equal(e.failure?.error.code, 'INTERNAL');
  });
});
