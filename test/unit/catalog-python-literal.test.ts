import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  isPyDict,
  isPyTuple,
  parsePythonLiteral,
  pyDict,
  pyToJson,
  pyTuple,
  pythonRepr,
} from '../../src/catalog/python-literal.js';
import { isPgdrError } from '../../src/errors.js';

// Produced by CPython 3.11 (test/fixtures/catalog/generate.py).
const fixture = JSON.parse(
  readFileSync(new URL('../../../test/fixtures/catalog/python-repr.json.out', import.meta.url), 'utf8'),
) as {
  strings: Array<[string, string]>;
  floats: Array<[number, string]>;
  structures: string[];
  literals: Array<[string, string]>;
};

describe('pythonRepr matches CPython', () => {
  for (const [value, repr] of fixture.strings) {
    it(`str ${JSON.stringify(value)}`, () => {
      assert.equal(pythonRepr(value), repr);
      assert.equal(parsePythonLiteral(repr), value);
    });
  }

  it('floats', () => {
    for (const [value, repr] of fixture.floats) {
      // JSON cannot carry -0.0; the fixture's repr says which one Python had.
      const v = repr === '-0.0' ? -0 : value;
      assert.equal(pythonRepr(v), repr, repr);
      assert.ok(Object.is(parsePythonLiteral(repr), v), repr);
    }
  });

  it('ints, None and booleans', () => {
    assert.equal(pythonRepr(123456789012345678901234567890n), '123456789012345678901234567890');
    assert.equal(pythonRepr(-5n), '-5');
    assert.equal(pythonRepr(null), 'None');
    assert.equal(pythonRepr(true), 'True');
    assert.equal(pythonRepr(false), 'False');
  });

  it('containers round-trip to the same text', () => {
    for (const repr of fixture.structures) assert.equal(pythonRepr(parsePythonLiteral(repr)), repr, repr);
  });

  it('builds tuples and dicts', () => {
    assert.equal(pythonRepr(pyTuple('a', 1n)), "('a', 1)");
    assert.equal(pythonRepr(pyTuple('a')), "('a',)");
    assert.equal(pythonRepr(pyTuple()), '()');
    assert.equal(pythonRepr(pyDict({ b: 1.5, a: [pyTuple()] })), "{'b': 1.5, 'a': [()]}");
    assert.equal(pythonRepr(pyDict([[1n, null]])), '{1: None}');
  });
});

describe('parsePythonLiteral (ast.literal_eval subset)', () => {
  for (const [text, repr] of fixture.literals) {
    it(JSON.stringify(text), () => assert.equal(pythonRepr(parsePythonLiteral(text)), repr));
  }

  it('keeps ints exact and tells tuples from lists', () => {
    const v = parsePythonLiteral("[('tbs', 16385, '/srv'), 18446744073709551615]");
    assert.ok(Array.isArray(v));
    assert.ok(isPyTuple(v[0]!));
    assert.equal(v[1], 18446744073709551615n);
    assert.equal(parsePythonLiteral('(1)'), 1n);
    assert.ok(isPyDict(parsePythonLiteral('{}')));
  });

  it('refuses what is not a literal', () => {
    for (const bad of [
      '',
      'foo',
      'b"x"',
      "f'x'",
      '{1, 2}',
      '1j',
      '--1',
      '[1 2]',
      "'open",
      "'a\nb'",
      "'\\x4'",
      "'\\N{DASH}'",
      '012',
      '1__0',
      '[1] x',
      '0x',
      '(,)',
      '__import__("os")',
    ]) {
      assert.throws(
        () => parsePythonLiteral(bad),
        (e) => isPgdrError(e, 'CATALOG_INVALID'),
        bad,
      );
    }
  });
});

describe('pyToJson (json.dumps)', () => {
  it('turns tuples into lists and dict keys into strings', () => {
    const v = parsePythonLiteral("{'a': (1, 2.5), 3: None, None: True, 1.5: [False]}");
    assert.deepEqual(pyToJson(v), { a: [1, 2.5], 3: null, null: true, '1.5': [false] });
  });
});
