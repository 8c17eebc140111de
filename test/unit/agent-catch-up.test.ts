import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { catchUp, lastServed, nextAfterRun } from '../../src/agent/catch-up.js';
import { parseCron } from '../../src/common/cron.js';

const daily = parseCron('0 0 6 * * *');
const d = (s: string) => new Date(s);

describe('catch-up after downtime', () => {
  it('runs once when one or many fires were missed', () => {
    const one = catchUp({
      schedule: daily,
      lastScheduled: d('2026-11-23T06:00:00Z'),
      now: d('2026-11-24T07:00:00Z'),
    });
    assert.equal(one.missed?.toISOString(), '2026-11-24T06:00:00.000Z');
    // Down for ten days: still a single run, reporting the first missed fire.
    const many = catchUp({
      schedule: daily,
      lastScheduled: d('2026-11-13T06:00:00Z'),
      now: d('2026-11-24T07:00:00Z'),
    });
    assert.equal(many.missed?.toISOString(), '2026-11-14T06:00:00.000Z');
  });
  it('does nothing when no fire passed, or on the first start', () => {
    assert.equal(
      catchUp({ schedule: daily, lastScheduled: d('2026-11-24T06:00:00Z'), now: d('2026-11-24T12:00:00Z') })
        .missed,
      undefined,
    );
    assert.equal(
      catchUp({ schedule: daily, lastScheduled: undefined, now: d('2026-11-24T12:00:00Z') }).missed,
      undefined,
    );
  });
  it('a fire exactly now counts as missed (the loop would otherwise wait a day)', () => {
    const r = catchUp({
      schedule: daily,
      lastScheduled: d('2026-11-23T06:00:00Z'),
      now: d('2026-11-24T06:00:00Z'),
    });
    assert.equal(r.missed?.toISOString(), '2026-11-24T06:00:00.000Z');
  });
  it('after a run longer than the period, the fires it overlapped are skipped, not queued', () => {
    const every3 = parseCron('*/3 * * * * *');
    const next = nextAfterRun(every3, d('2026-11-24T06:00:00Z'), d('2026-11-24T06:00:10.200Z'));
    assert.equal(next?.toISOString(), '2026-11-24T06:00:12.000Z');
    // A run that ends before its own fire time (clock corrections) never fires the same time twice.
    const same = nextAfterRun(every3, d('2026-11-24T06:00:03Z'), d('2026-11-24T06:00:02Z'));
    assert.equal(same?.toISOString(), '2026-11-24T06:00:06.000Z');
  });
  it('a run aborted by a shutdown did not serve its fire time: the restart takes it', () => {
    const run = { scheduledFor: '2026-11-24T06:00:00.000Z', startedAt: '2026-11-24T06:00:00.010Z' };
    const now = d('2026-11-24T06:01:00Z');
    const aborted = lastServed({ ...run, result: 'aborted' });
    assert.equal(
      catchUp({ schedule: daily, lastScheduled: aborted, now }).missed?.toISOString(),
      '2026-11-24T06:00:00.000Z',
    );
    for (const result of ['done', 'failed', 'skipped'])
      assert.equal(
        catchUp({ schedule: daily, lastScheduled: lastServed({ ...run, result }), now }).missed,
        undefined,
        result,
      );
    assert.equal(lastServed(undefined), undefined);
  });
});
