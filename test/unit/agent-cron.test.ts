import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CronError, nextFire, parseCron } from '../../src/common/cron.js';

const next = (text: string, after: string) => nextFire(parseCron(text), new Date(after))?.toISOString();

describe('cron parser', () => {
  it('reads six fields (seconds first) and five (seconds = 0)', () => {
    assert.equal(next('0 0 6 * * *', '2026-11-24T05:00:00Z'), '2026-11-24T06:00:00.000Z');
    assert.equal(next('0 0 6 * * *', '2026-11-24T06:00:00Z'), '2026-11-25T06:00:00.000Z');
    assert.equal(next('0 6 * * *', '2026-11-24T06:00:00.500Z'), '2026-11-25T06:00:00.000Z');
  });
  it('steps, ranges, lists and a/n', () => {
    assert.equal(next('*/3 * * * * *', '2026-01-01T00:00:01Z'), '2026-01-01T00:00:03.000Z');
    assert.equal(next('*/3 * * * * *', '2026-01-01T00:00:59Z'), '2026-01-01T00:01:00.000Z');
    assert.equal(next('0 10-20/5 * * * *', '2026-01-01T00:15:00Z'), '2026-01-01T00:20:00.000Z');
    assert.equal(next('0 10-20/5 * * * *', '2026-01-01T00:20:00Z'), '2026-01-01T01:10:00.000Z');
    assert.equal(next('0 0 1,13 * * *', '2026-01-01T02:00:00Z'), '2026-01-01T13:00:00.000Z');
    assert.equal(next('0 50/5 * * * *', '2026-01-01T00:56:00Z'), '2026-01-01T01:50:00.000Z');
  });
  it('month and weekday names, 7 as Sunday, and the day-of-month OR day-of-week rule', () => {
    // 2026-11-24 is a Tuesday.
    assert.equal(next('0 0 6 * * MON', '2026-11-24T00:00:00Z'), '2026-11-30T06:00:00.000Z');
    assert.equal(next('0 0 6 * * 7', '2026-11-24T00:00:00Z'), '2026-11-29T06:00:00.000Z');
    assert.equal(next('0 0 0 1 jan *', '2026-11-24T00:00:00Z'), '2027-01-01T00:00:00.000Z');
    assert.equal(next('0 0 0 1 * MON-FRI', '2026-11-28T00:00:00Z'), '2026-11-30T00:00:00.000Z');
    assert.equal(next('0 0 0 1 * ?', '2026-11-24T00:00:00Z'), '2026-12-01T00:00:00.000Z');
  });
  it('descriptors', () => {
    assert.equal(next('@daily', '2026-11-24T13:00:00Z'), '2026-11-25T00:00:00.000Z');
    assert.equal(next('@hourly', '2026-11-24T13:00:00Z'), '2026-11-24T14:00:00.000Z');
    assert.equal(next('@monthly', '2026-11-24T13:00:00Z'), '2026-12-01T00:00:00.000Z');
    assert.equal(next('@weekly', '2026-11-24T13:00:00Z'), '2026-11-29T00:00:00.000Z');
    assert.equal(next('@yearly', '2026-11-24T13:00:00Z'), '2027-01-01T00:00:00.000Z');
  });
  it('leap days and impossible dates', () => {
    assert.equal(next('0 0 0 29 2 *', '2026-03-01T00:00:00Z'), '2028-02-29T00:00:00.000Z');
    assert.equal(nextFire(parseCron('0 0 0 31 2 *'), new Date('2026-01-01T00:00:00Z')), undefined);
    assert.equal(next('0 0 0 31 * *', '2026-11-24T00:00:00Z'), '2026-12-31T00:00:00.000Z');
  });
  it('refuses malformed schedules with the field named', () => {
    const bad: [string, RegExp][] = [
      ['0 0 6 * *  * *', /7 fields/],
      ['* * *', /3 fields/],
      ['60 * * * * *', /second .*60 is out of range 0-59/],
      ['0 0 24 * * *', /hour .*out of range 0-23/],
      ['0 0 0 0 * *', /day of month .*out of range 1-31/],
      ['0 0 0 * FOO *', /month .*'FOO' is not a number/],
      ['0 */0 * * * *', /step must be at least 1/],
      ['0 5-1 * * * *', /runs backwards/],
      ['@fortnightly', /unknown descriptor/],
      ['0 0 6 * * 1-2-3', /cannot read/],
    ];
    for (const [text, re] of bad)
      assert.throws(
        () => parseCron(text),
        (e) => e instanceof CronError && re.test(e.message),
        text,
      );
  });
});
