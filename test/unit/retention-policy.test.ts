import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRetentionPolicy } from '../../src/config/retention-policy.js';
import { isPgdrError } from '../../src/errors.js';

const DAY = 86_400_000;
const flag = { source: 'flag' as const };

describe('retention policy parser', () => {
  it('reads the CloudNativePG form; a month is 31 days', () => {
    assert.deepEqual(parseRetentionPolicy('14d', flag), {
      kind: 'window',
      value: 14,
      unit: 'DAYS',
      windowMs: 14 * DAY,
      text: 'RECOVERY WINDOW OF 14 DAYS',
    });
    assert.equal(parseRetentionPolicy('2w', flag).text, 'RECOVERY WINDOW OF 2 WEEKS');
    const m = parseRetentionPolicy('1m', flag);
    assert.equal(m.kind === 'window' && m.windowMs, 31 * DAY);
  });

  it("reads barman's forms case-insensitively, with or without the plural s, with surrounding blanks", () => {
    const w = parseRetentionPolicy('  recovery Window  of 3 month ', flag);
    assert.equal(w.kind === 'window' && w.windowMs, 93 * DAY);
    assert.equal(w.text, 'RECOVERY WINDOW OF 3 MONTHS');
    assert.equal(parseRetentionPolicy('RECOVERY WINDOW OF 1 WEEKS', flag).text, 'RECOVERY WINDOW OF 1 WEEKS');
    assert.equal(parseRetentionPolicy('RECOVERY WINDOW OF 0 DAYS', flag).text, 'RECOVERY WINDOW OF 0 DAYS');
    assert.deepEqual(parseRetentionPolicy('redundancy 3', flag), {
      kind: 'redundancy',
      count: 3,
      text: 'REDUNDANCY 3',
    });
  });

  for (const bad of [
    '',
    '0d',
    '14',
    '14D',
    '14 d',
    '-1d',
    '1y',
    'REDUNDANCY',
    'REDUNDANCY 0',
    'REDUNDANCY -1',
    'RECOVERY WINDOW 14 DAYS',
    'RECOVERY WINDOW OF 14 YEARS',
    'RECOVERY WINDOW OF 1.5 DAYS',
    'KEEP 3',
  ]) {
    it(`refuses '${bad}' with a hint naming the accepted forms`, () => {
      assert.throws(
        () => parseRetentionPolicy(bad, flag),
        (e) =>
          isPgdrError(e, 'USAGE') && /--policy/.test(e.message) && /14d.*REDUNDANCY 3/.test(e.hint ?? ''),
      );
    });
  }

  it('names the config field and gives CONFIG_INVALID for a configured policy', () => {
    assert.throws(
      () => parseRetentionPolicy('fortnight', { source: 'config' }),
      (e) =>
        isPgdrError(e, 'CONFIG_INVALID') &&
        /^retentionPolicy: /.test(e.message) &&
        /31 days/.test(e.hint ?? ''),
    );
  });
});
