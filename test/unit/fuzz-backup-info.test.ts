// Fuzzing the backup.info reader: whatever bytes sit in a bucket, parseBackupInfo returns a record or throws
// CATALOG_INVALID (never another error, never a hang), and a record it returns can be printed as barman's JSON.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { BARMAN_34_FIELDS } from '../../src/catalog/backup-fields.js';
import { parseBackupInfo, serializeBackupInfo } from '../../src/catalog/backup-info.js';
import { backupToJson } from '../../src/catalog/backup-json.js';
import { parseBackupTime } from '../../src/catalog/backup-time.js';
import {
  type PyValue,
  parsePythonLiteral,
  pyDict,
  pyToJson,
  pyTuple,
  pythonRepr,
} from '../../src/catalog/python-literal.js';
import { fuzzRuns, fuzzTimeout, valueOrPgdrError } from '../helpers/fuzz-budget.js';

const FIXTURES = ['doc-example.backup.info', 'barman34-done.backup.info', 'barman34-failed.backup.info'].map(
  (name) => readFileSync(new URL(`../../../test/fixtures/catalog/${name}`, import.meta.url)),
);

/** Parses, then prints the result as `backup list --format json` would: both must hold for any input. */
function parseAndPrint(bytes: Uint8Array | string): void {
  const info = valueOrPgdrError(() => parseBackupInfo(bytes, '20240101T000000'), ['CATALOG_INVALID']);
  if (info === undefined) return;
  assert.equal(info.backupId, '20240101T000000');
  JSON.stringify(backupToJson(info, { isoTimes: true }));
}

// Pieces that reach the corners of the line format and of the Python literal grammar.
const NASTY = [
  '9'.repeat(5000),
  `-${'9'.repeat(30)}`,
  '1e99999',
  '0x',
  '1__0',
  '['.repeat(300),
  `${'('.repeat(150)}1${')'.repeat(150)}`,
  `{${'{'.repeat(120)}`,
  'x'.repeat(70_000),
  "'''",
  '"\\',
  "'\\U0011ffff'",
  "'\\N{DASH}'",
  "'\\x4'",
  '\r',
  '\n',
  '=',
  '#',
  'None',
  "u'é' r'\\q' 'a' \"b\"",
  '{(1, 2): 3}',
  '{[1]: 2}',
  '{1: 2, True: 3, 1.0: 4}',
  '2024-02-30 25:61:61+99:99',
  'Sun Dec 15 06:00:00 2024',
  '\u0000',
  '\ud800',
  '\ufeff',
];

const nastyBytes = fc.oneof(
  fc.constantFrom(...NASTY).map((s) => Buffer.from(s, 'utf8')),
  fc.constantFrom(Buffer.from([0xff, 0xfe]), Buffer.from([0xc0, 0x80]), Buffer.from([0xed, 0xa0, 0x80])),
  fc.uint8Array({ maxLength: 64, size: 'max' }).map((a) => Buffer.from(a)),
);

// Mutations as data (not closures) so that a failure prints the input that caused it.
type Mutation =
  | { readonly cut: number }
  | { readonly flip: number; readonly bit: number }
  | { readonly insert: number; readonly piece: Buffer }
  | { readonly line: number; readonly value: Buffer }
  | { readonly repeat: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ cut: fc.nat() }),
  fc.record({ flip: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ insert: fc.nat(), piece: nastyBytes }),
  // Replace the value of one line, keeping its key: reaches each field's own decoder.
  fc.record({ line: fc.nat(), value: nastyBytes }),
  fc.record({ repeat: fc.nat() }),
);

function mutate(b: Buffer, m: Mutation): Buffer {
  if ('cut' in m) return b.subarray(0, m.cut % (b.length + 1));
  if ('flip' in m) {
    if (b.length === 0) return b;
    const out = Buffer.from(b);
    out[m.flip % out.length]! ^= 1 << m.bit;
    return out;
  }
  if ('insert' in m) {
    const i = m.insert % (b.length + 1);
    return Buffer.concat([b.subarray(0, i), m.piece, b.subarray(i)]);
  }
  const lines = b.toString('latin1').split('\n');
  if ('line' in m) {
    const i = m.line % lines.length;
    lines[i] = `${lines[i]!.slice(0, lines[i]!.indexOf('=') + 1)}${m.value.toString('latin1')}`;
    return Buffer.from(lines.join('\n'), 'latin1');
  }
  const i = m.repeat % lines.length;
  return Buffer.from([...lines.slice(0, i + 1), ...lines.slice(i)].join('\n'), 'latin1');
}

// Python values as barman could write them: nested lists, tuples and dicts (with distinct keys) of scalars.
const scalar: fc.Arbitrary<PyValue> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ unit: 'binary', maxLength: 20, size: 'max' }),
);
const dictKey: fc.Arbitrary<PyValue> = fc.oneof(
  fc.constant(null),
  fc.bigInt({ min: -1000n, max: 1000n }),
  fc.string({ maxLength: 8, size: 'max' }),
);
// Python's dict equality: 1 == True, so keys are told apart by their value.
const keyId = (k: PyValue): string =>
  typeof k === 'bigint' ? `i${k}` : typeof k === 'string' ? `s${k}` : String(k);
const { value: pyValue } = fc.letrec<{ value: PyValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.array(tie('value'), { maxLength: 4 }).map((items) => pyTuple(...items)),
    fc
      .uniqueArray(fc.tuple(dictKey, tie('value')), { maxLength: 4, selector: ([k]) => keyId(k) })
      .map((entries) => pyDict(entries)),
  ),
}));

// Text made of the grammar's own tokens finds more corners than uniform noise.
const literalSoup = fc
  .array(
    fc.oneof(
      fc.constantFrom(...'[](){}:,\'"\\ _.-+eExXoObBuUrRN0179afTF'.split('')),
      fc.constantFrom('True', 'None', "'''", '"""', '\\x', '\\u', '\\U', '\\N{', '0x', '1e', '\n', '\\\n'),
      fc.string({ unit: 'binary', maxLength: 3 }),
    ),
    { maxLength: 60, size: 'max' },
  )
  .map((parts) => parts.join(''));

describe('fuzz: backup.info', () => {
  it('arbitrary bytes: a record or CATALOG_INVALID', { timeout: fuzzTimeout(2) }, () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048, size: 'max' }), (bytes) => parseAndPrint(bytes)),
      fuzzRuns(2000),
    );
  });

  it('real files, mutated: a record or CATALOG_INVALID', { timeout: fuzzTimeout(5) }, () => {
    fc.assert(
      fc.property(
        fc.nat({ max: FIXTURES.length - 1 }),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        (file, mutations) => parseAndPrint(mutations.reduce(mutate, FIXTURES[file]!)),
      ),
      fuzzRuns(5000, 5),
    );
  });

  it('generated fields with generated values: a record or CATALOG_INVALID', {
    timeout: fuzzTimeout(3),
  }, () => {
    const line = fc.tuple(
      fc.oneof(fc.constantFrom(...BARMAN_34_FIELDS, 'children_backup_ids'), fc.string({ maxLength: 6 })),
      fc.oneof(
        literalSoup,
        pyValue.map(pythonRepr),
        fc.string({ unit: 'binary', maxLength: 30, size: 'max' }),
      ),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12, size: 'max' }), (lines) =>
        parseAndPrint(lines.map(([k, v]) => `${k}=${v}`).join('\n')),
      ),
      fuzzRuns(3000, 3),
    );
  });

  it('a Python literal reads back as the value it is the repr of', { timeout: fuzzTimeout(2) }, () => {
    fc.assert(
      fc.property(pyValue, (v) => {
        assert.deepStrictEqual(parsePythonLiteral(pythonRepr(v)), v);
      }),
      fuzzRuns(2000),
    );
  });

  it('literal-shaped text: a value (printable as JSON) or CATALOG_INVALID', {
    timeout: fuzzTimeout(2),
  }, () => {
    fc.assert(
      fc.property(literalSoup, (text) => {
        const v = valueOrPgdrError(() => parsePythonLiteral(text), ['CATALOG_INVALID']);
        if (v !== undefined) {
          pythonRepr(v);
          JSON.stringify(pyToJson(v));
        }
      }),
      fuzzRuns(5000),
    );
  });

  it('deeply nested literals: a value or CATALOG_INVALID', { timeout: fuzzTimeout(2) }, () => {
    const opener = fc.constantFrom('[', '(', '{1: ', '{(', '[(', '{0: [');
    fc.assert(
      fc.property(fc.array(opener, { maxLength: 4 }), fc.integer({ min: 1, max: 20_000 }), (openers, n) => {
        const open = Array.from(
          { length: n },
          (_, i) => openers[i % Math.max(1, openers.length)] ?? '[',
        ).join('');
        valueOrPgdrError(() => parsePythonLiteral(open), ['CATALOG_INVALID']);
      }),
      fuzzRuns(200),
    );
  });

  it('backup times: a time or CATALOG_INVALID', { timeout: fuzzTimeout(1) }, () => {
    const timeish = fc
      .array(fc.oneof(fc.constantFrom(...'0123456789-:+ .,TZ'.split('')), fc.string({ maxLength: 2 })), {
        maxLength: 40,
        size: 'max',
      })
      .map((p) => p.join(''));
    fc.assert(
      fc.property(timeish, (text) => {
        const t = valueOrPgdrError(() => parseBackupTime(text), ['CATALOG_INVALID']);
        if (t !== undefined) assert.ok(!Number.isNaN(t.date.getTime()), `'${text}' gave an invalid date`);
      }),
      fuzzRuns(3000, 1),
    );
  });

  it('written fields read back the same', { timeout: fuzzTimeout(1) }, () => {
    const key = fc.stringMatching(/^[a-z_][a-z0-9_]{0,15}$/);
    const value = fc.string({ maxLength: 30, size: 'max' }).map((s) => s.replace(/[\r\n]/g, '').trim());
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(key, value), { maxLength: 10, selector: ([k]) => k, size: 'max' }),
        (entries) => {
          const text = serializeBackupInfo(entries);
          // A written file that barman's loader would reject is fine; one we accept must keep every field.
          const info = valueOrPgdrError(() => parseBackupInfo(text, '20240101T000000'), ['CATALOG_INVALID']);
          if (info !== undefined) assert.deepStrictEqual([...info.fields].sort(), [...entries].sort());
        },
      ),
      fuzzRuns(1000, 1),
    );
  });
});
