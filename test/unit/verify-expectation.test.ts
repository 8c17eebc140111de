import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDuration, parseDuration } from '../../src/common/duration.js';
import { outcome } from '../../src/verify/check-result.js';
import { compareCaptured, judge } from '../../src/verify/expectation.js';
import { toValue } from '../../src/verify/pg-session.js';

const NOW = new Date('2026-01-10T12:00:00Z');

describe('durations', () => {
  it('parses units and combinations, rejects the rest', () => {
    assert.equal(parseDuration('90s'), 90_000);
    assert.equal(parseDuration('5m'), 300_000);
    assert.equal(parseDuration('26h'), 26 * 3_600_000);
    assert.equal(parseDuration('2d'), 2 * 86_400_000);
    assert.equal(parseDuration('1w'), 7 * 86_400_000);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('1.5h'), 5_400_000);
    for (const bad of ['', '5', 'h', '5 minutes', '-1h', '1y'])
      assert.equal(parseDuration(bad), undefined, bad);
  });
  it('formats compactly', () => {
    assert.equal(formatDuration(45_000), '45s');
    assert.equal(formatDuration(300_000), '5m');
    assert.equal(formatDuration(3_900_000), '1h 5m');
    assert.equal(formatDuration(2 * 86_400_000 + 4 * 3_600_000), '2d 4h');
  });
});

describe('judge', () => {
  it('min and max on numbers and numeric text (bigint counts)', () => {
    assert.equal(judge(5, { min: 1 }, NOW).status, 'pass');
    assert.equal(judge('12345678901234567890', { min: 1 }, NOW).status, 'pass');
    const low = judge(0, { min: 1 }, NOW);
    assert.equal(low.status, 'fail');
    assert.match(low.why, /0 is below the minimum 1/);
    assert.match(judge(11, { max: 10 }, NOW).why, /above the maximum 10/);
    assert.match(judge('abc', { min: 1 }, NOW).why, /not a number/);
    assert.match(judge(null, { min: 0 }, NOW).why, /NULL is not a number/);
  });
  it('equals compares numbers numerically, else as text', () => {
    assert.equal(judge(3, { equals: '3' }, NOW).status, 'pass');
    assert.equal(judge('3.0', { equals: 3 }, NOW).status, 'pass');
    assert.equal(judge('v2', { equals: 'v2' }, NOW).status, 'pass');
    assert.equal(judge(true, { equals: true }, NOW).status, 'pass');
    assert.equal(judge(null, { equals: null }, NOW).status, 'pass');
    assert.match(judge('v1', { equals: 'v2' }, NOW).why, /v1 is not the expected v2/);
  });
  it('fresherThan needs a timestamp no older than the duration', () => {
    const hour = 3_600_000;
    assert.equal(judge('2026-01-10T11:30:00.000Z', { fresherThanMs: hour }, NOW).status, 'pass');
    const old = judge('2026-01-10T09:00:00.000Z', { fresherThanMs: hour }, NOW);
    assert.equal(old.status, 'fail');
    assert.match(old.why, /is 3h old, older than 1h/);
    assert.match(judge('yesterday', { fresherThanMs: hour }, NOW).why, /not a timestamp/);
    assert.match(judge(null, { fresherThanMs: hour }, NOW).why, /not a timestamp/);
  });
  it('several expectations report every failure; none is a pass', () => {
    assert.equal(judge(42, {}, NOW).status, 'pass');
    const j = judge(0, { min: 1, equals: 5 }, NOW);
    assert.match(j.why, /minimum.*; .*expected 5/);
  });
});

describe('compareCaptured (--expect-from)', () => {
  it('counts must not go down; more rows pass', () => {
    assert.equal(compareCaptured(1000, 1000, undefined).status, 'pass');
    assert.equal(compareCaptured(1001, 1000, undefined).status, 'pass');
    const lost = compareCaptured(950, 1000, undefined);
    assert.equal(lost.status, 'fail');
    assert.match(lost.why, /950 is below the captured 1000 \(50 fewer\)/);
  });
  it('timestamps must not go back; text must be equal', () => {
    assert.equal(
      compareCaptured('2026-01-10T12:00:00.000Z', '2026-01-10T11:00:00.000Z', undefined).status,
      'pass',
    );
    assert.match(
      compareCaptured('2026-01-10T10:00:00.000Z', '2026-01-10T11:00:00.000Z', undefined).why,
      /older than the captured/,
    );
    assert.equal(compareCaptured('v2', 'v2', undefined).status, 'pass');
    assert.match(compareCaptured('v1', 'v2', undefined).why, /differs from the captured v2/);
  });
  it('the mode from the checks file wins', () => {
    assert.equal(compareCaptured(950, 1000, 'ignore').status, 'pass');
    assert.equal(compareCaptured(1001, 1000, 'equal').status, 'fail');
    assert.match(compareCaptured(null, 1000, undefined).why, /NULL is not a number/);
    assert.equal(compareCaptured('2026-01-10T12:00:00.000Z', null, undefined).status, 'pass');
    assert.equal(compareCaptured(5, null, 'equal').status, 'fail');
  });
});

describe('outcome', () => {
  const c = (status: 'pass' | 'warn' | 'fail' | 'skip') => ({
    name: 'x',
    status,
    finding: '',
    hint: '',
    durationMs: 0,
  });
  it('fail beats warn beats pass; skips do not count, but nothing run is a fail', () => {
    assert.equal(outcome([c('pass'), c('skip')]), 'pass');
    assert.equal(outcome([c('pass'), c('warn')]), 'warn');
    assert.equal(outcome([c('warn'), c('fail')]), 'fail');
    assert.equal(outcome([c('skip'), c('skip')]), 'fail');
    assert.equal(outcome([]), 'fail');
  });
});

describe('toValue (query results as report values)', () => {
  it('reads bigint counts as numbers, timestamps as UTC ISO strings', () => {
    assert.equal(toValue('42', 20), 42);
    assert.equal(toValue('12345678901234567890', 20), '12345678901234567890');
    assert.equal(toValue('1.5', 1700), 1.5);
    assert.equal(toValue('2026-01-10 11:30:00.123', 1114), '2026-01-10T11:30:00.123Z');
    assert.equal(toValue('2026-01-10 11:30:00+02', 1184), '2026-01-10T09:30:00.000Z');
    assert.equal(toValue('infinity', 1184), 'infinity');
    assert.equal(toValue(null, 20), null);
    assert.equal(toValue(true, 16), true);
    assert.equal(toValue({ a: 1 }, 3802), '{"a":1}');
  });
});
