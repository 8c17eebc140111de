import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPgdrError } from '../../src/errors.js';
import { parseCaptured } from '../../src/verify/captured.js';
import { parseChecksFile } from '../../src/verify/checks-file.js';

const invalid = (text: string, message: RegExp) =>
  assert.throws(
    () => parseChecksFile(text, 'checks.yaml'),
    (e) => isPgdrError(e, 'CONFIG_INVALID') && message.test(e.message),
  );

describe('checks file', () => {
  it('reads a checks: list with every expectation', () => {
    const checks = parseChecksFile(
      `checks:
  - name: recent-statuses
    sql: SELECT count(*) FROM statuses WHERE created_at > now() - interval '1 day'
    min: 1
    max: 1000000
  - name: newest-status
    sql: SELECT max(created_at) FROM statuses
    fresherThan: 2d
    severity: warn
  - name: schema
    sql: SELECT max(version) FROM schema_migrations
    equals: "20240101000000"
    compare: equal
`,
      'checks.yaml',
    );
    assert.deepEqual(
      checks.map((c) => [c.name, c.expect.min, c.expect.max, c.expect.equals, c.expect.fresherThanMs]),
      [
        ['recent-statuses', 1, 1000000, undefined, undefined],
        ['newest-status', undefined, undefined, undefined, 2 * 86_400_000],
        ['schema', undefined, undefined, '20240101000000', undefined],
      ],
    );
    assert.equal(checks[1]!.severity, 'warn');
    assert.equal(checks[2]!.compare, 'equal');
  });
  it('accepts a bare list, and a check with no expectation (its value is reported)', () => {
    const [c] = parseChecksFile('- name: n\n  sql: SELECT 1\n', 'f');
    assert.deepEqual(c!.expect, {
      min: undefined,
      max: undefined,
      equals: undefined,
      fresherThanMs: undefined,
    });
  });
  it('names every mistake with its place', () => {
    invalid('checks: [', /not valid YAML/);
    invalid('foo: 1', /non-empty list of checks/);
    invalid('checks: []', /non-empty list/);
    invalid('- sql: SELECT 1', /checks\[0\]\.name: must be a non-empty string/);
    invalid('- name: a', /checks\[0\]\.sql: must be/);
    invalid('- name: a\n  sql: x\n  min: "1"', /checks\[0\]\.min: must be a number/);
    invalid('- name: a\n  sql: x\n  min: 5\n  max: 1', /min is above max/);
    invalid('- name: a\n  sql: x\n  fresherThan: soon', /fresherThan: must be a duration/);
    invalid('- name: a\n  sql: x\n  expect: 1', /checks\[0\]\.expect: unknown field/);
    invalid('- name: a\n  sql: x\n  compare: more', /compare: must be one of atLeast, equal, ignore/);
    invalid('- name: a\n  sql: x\n  severity: info', /severity: must be fail or warn/);
    invalid('- name: a\n  sql: x\n- name: a\n  sql: y', /'a' is used twice/);
    invalid('- name: a\n  sql: x\n  equals: [1]', /equals: must be/);
  });
});

describe('captured report (--expect-from)', () => {
  it('keeps the checks that carried a value', () => {
    const m = parseCaptured(
      JSON.stringify({
        result: 'pass',
        checks: [
          { name: 'connectivity', status: 'pass' },
          { name: 'mastodon:accounts', status: 'pass', value: 3 },
          { name: 'newest', status: 'pass', value: '2026-01-10T12:00:00.000Z' },
          { name: 'empty', status: 'pass', value: null },
        ],
      }),
      'primary.json',
    );
    assert.deepEqual(
      [...m],
      [
        ['mastodon:accounts', 3],
        ['newest', '2026-01-10T12:00:00.000Z'],
        ['empty', null],
      ],
    );
  });
  it('refuses what verify did not write', () => {
    for (const [text, re] of [
      ['nope', /not valid JSON/],
      ['{}', /no `checks` list/],
      ['{"checks":[{"value":1}]}', /without a name/],
      ['{"checks":[{"name":"a","value":{}}]}', /value must be/],
    ] as const) {
      assert.throws(
        () => parseCaptured(text, 'p.json'),
        (e) => isPgdrError(e, 'CONFIG_INVALID') && re.test(e.message),
      );
    }
  });
});
