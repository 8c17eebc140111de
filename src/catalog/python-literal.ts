// The Python literals barman writes into backup.info (repr on save, ast.literal_eval on load). Both directions
// must match CPython exactly: a repr that differs by one quote character changes the bytes of a round trip.

/** A Python value: bigint is int, number is float, arrays are lists; tuples and dicts are tagged. */
export type PyValue = null | boolean | bigint | number | string | PyValue[] | PyTuple | PyDict;

export interface PyTuple {
  readonly type: 'tuple';
  readonly items: readonly PyValue[];
}

export interface PyDict {
  readonly type: 'dict';
  readonly entries: ReadonlyArray<readonly [PyValue, PyValue]>;
}

export function pyTuple(...items: PyValue[]): PyTuple {
  return { type: 'tuple', items };
}

export function pyDict(
  entries: Iterable<readonly [PyValue, PyValue]> | Readonly<Record<string, PyValue>>,
): PyDict {
  const list =
    Symbol.iterator in entries
      ? [...(entries as Iterable<readonly [PyValue, PyValue]>)]
      : Object.entries(entries);
  return { type: 'dict', entries: list };
}

export function isPyTuple(v: PyValue): v is PyTuple {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && v.type === 'tuple';
}

export function isPyDict(v: PyValue): v is PyDict {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && v.type === 'dict';
}

export { parsePythonLiteral } from './python-literal-parser.js';

// ---- repr ----

export function pythonRepr(value: PyValue): string {
  if (value === null) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return floatRepr(value);
  if (typeof value === 'string') return stringRepr(value);
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(', ')}]`;
  if (value.type === 'tuple') {
    if (value.items.length === 1) return `(${pythonRepr(value.items[0]!)},)`;
    return `(${value.items.map(pythonRepr).join(', ')})`;
  }
  return `{${value.entries.map(([k, v]) => `${pythonRepr(k)}: ${pythonRepr(v)}`).join(', ')}}`;
}

// float.__repr__: shortest round-trip digits (as JS), but exponent form when the exponent is < -4 or >= 16,
// 'e+NN'/'e-NN' with at least two digits, and '.0' on integral values.
function floatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mant = '', expText = '0'] = x.toExponential().split('e');
  const exp = Number(expText);
  const sign = mant.startsWith('-') ? '-' : '';
  const digits = mant.replace('-', '').replace('.', '');
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exp).toString().padStart(2, '0');
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${e}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  const intPart = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
  const frac = digits.slice(exp + 1);
  return `${sign}${intPart}.${frac === '' ? '0' : frac}`;
}

// str.isprintable() is false for these categories (the space is the one printable separator).
const NON_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;

// CPython's unicode_repr: single quotes unless the text has a ' and no ".
function stringRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (ch === '\t') out += '\\t';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${hex(cp, 2)}`;
    else if (cp < 0x7f) out += ch;
    else if (ch !== ' ' && NON_PRINTABLE.test(ch)) {
      out += cp <= 0xff ? `\\x${hex(cp, 2)}` : cp <= 0xffff ? `\\u${hex(cp, 4)}` : `\\U${hex(cp, 8)}`;
    } else out += ch;
  }
  return out + quote;
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

// ---- JSON ----

/**
 * The value json.dumps would print: tuples become lists, dict keys become strings (str of int/float, 'true',
 * 'false', 'null' for True/False/None). Python ints beyond 2^53 lose precision as JS numbers. A tuple key, which
 * json.dumps refuses, becomes its repr: one odd value must not keep a whole listing from printing.
 */
export function pyToJson(value: PyValue): unknown {
  if (value === null || typeof value === 'boolean' || typeof value === 'string' || typeof value === 'number')
    return value;
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(pyToJson);
  if (value.type === 'tuple') return value.items.map(pyToJson);
  const obj: Record<string, unknown> = {};
  for (const [k, v] of value.entries) obj[jsonKey(k)] = pyToJson(v);
  return obj;
}

function jsonKey(k: PyValue): string {
  if (typeof k === 'string') return k;
  if (k === null) return 'null';
  if (k === true) return 'true';
  if (k === false) return 'false';
  return pythonRepr(k);
}
