// ast.literal_eval for the literals barman stores: str (quotes, triple quotes, u/r prefixes, adjacent-string
// concatenation, every escape), int (any base, underscores), float, True/False/None, list, tuple, dict.
// Sets, bytes, complex numbers and \N{...} are refused: barman never writes them.
import { PgdrError } from '../errors.js';
import type { PyValue } from './python-literal.js';

/**
 * Deepest nesting of lists, tuples and dicts read. barman's values nest three levels at most; CPython's own
 * parser gives up at 200 nested brackets. The limit keeps a hostile value from exhausting the stack.
 */
const MAX_LITERAL_DEPTH = 100;

/**
 * CPython refuses decimal int literals of more digits (sys.int_info.default_max_str_digits); pgdr refuses them
 * in every base, as barman never writes one and their repr would be as long.
 */
const MAX_INT_DIGITS = 4300;

export function parsePythonLiteral(text: string): PyValue {
  const p = new Parser(text);
  p.skipSpace();
  const value = p.value();
  p.skipSpace();
  if (!p.atEnd()) p.fail('unexpected text after the value');
  return value;
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\',
  "'": "'",
  '"': '"',
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\n': '',
};

const NUMBER_RE =
  /^(?:0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|(?:\d(?:_?\d)*)?\.?(?:\d(?:_?\d)*)?(?:[eE][+-]?\d(?:_?\d)*)?)/;

class Parser {
  private pos = 0;
  private depth = 0;

  constructor(private readonly src: string) {}

  atEnd(): boolean {
    return this.pos >= this.src.length;
  }

  fail(message: string): never {
    throw new PgdrError('CATALOG_INVALID', `invalid Python literal at offset ${this.pos}: ${message}`, {
      details: { text: this.src.length > 200 ? `${this.src.slice(0, 200)}...` : this.src },
    });
  }

  skipSpace(): void {
    while (this.pos < this.src.length && ' \t\n\r\f'.includes(this.src[this.pos]!)) this.pos++;
  }

  private peek(): string {
    return this.src[this.pos] ?? '';
  }

  value(): PyValue {
    const c = this.peek();
    if (c === '[' || c === '(' || c === '{') {
      if (this.depth >= MAX_LITERAL_DEPTH) this.fail(`nested deeper than ${MAX_LITERAL_DEPTH} levels`);
      this.depth++;
      const v = c === '{' ? this.dict() : this.sequence(c === '[' ? ']' : ')');
      this.depth--;
      return v;
    }
    if (c === '-' || c === '+') return this.signed();
    if (c === "'" || c === '"') return this.strings();
    if (/[0-9.]/.test(c)) return this.number();
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.src.slice(this.pos))?.[0];
    if (word !== undefined) {
      const next = this.src[this.pos + word.length];
      if (/^[uUrR]$/.test(word) && (next === "'" || next === '"')) return this.strings();
      this.pos += word.length;
      if (word === 'True') return true;
      if (word === 'False') return false;
      if (word === 'None') return null;
      this.fail(`'${word}' is not a literal`);
    }
    return this.fail(c === '' ? 'unexpected end' : `unexpected '${c}'`);
  }

  private signed(): PyValue {
    // literal_eval takes one sign before a number ('-1', '+1.5'), not '--1'.
    const negative = this.src[this.pos++] === '-';
    this.skipSpace();
    if (!/[0-9.]/.test(this.peek())) this.fail('a sign needs a number');
    const v = this.number();
    return negative ? -v : v;
  }

  private number(): bigint | number {
    const m = NUMBER_RE.exec(this.src.slice(this.pos));
    const tok = m?.[0] ?? '';
    if (tok === '' || tok === '.' || /^\.?[eE]/.test(tok)) this.fail('bad number');
    const after = this.src[this.pos + tok.length] ?? '';
    if (/[A-Za-z0-9_]/.test(after)) this.fail(`bad number '${tok}${after}'`);
    const clean = tok.replace(/_/g, '');
    if (!/[.eE]/.test(clean) && clean.length > MAX_INT_DIGITS)
      this.fail(`an int of more than ${MAX_INT_DIGITS} digits`);
    this.pos += tok.length;
    if (/^0[xXoObB]/.test(clean)) return BigInt(clean);
    if (/[.eE]/.test(clean)) return Number(clean);
    // Python 3 forbids leading zeros on non-zero decimals ('007').
    if (/^0\d/.test(clean) && /[1-9]/.test(clean)) this.fail(`leading zeros in '${tok}'`);
    return BigInt(clean);
  }

  private strings(): string {
    let out = '';
    do {
      out += this.string();
      this.skipSpace();
    } while (/^(?:[uUrR])?['"]/.test(this.src.slice(this.pos, this.pos + 2)));
    return out;
  }

  private string(): string {
    let raw = false;
    if (/[uUrR]/.test(this.peek())) raw = /[rR]/.test(this.src[this.pos++]!);
    const q = this.peek();
    const triple = this.src.startsWith(q.repeat(3), this.pos);
    const close = triple ? q.repeat(3) : q;
    this.pos += close.length;
    let out = '';
    for (;;) {
      if (this.atEnd()) this.fail('unterminated string');
      if (this.src.startsWith(close, this.pos)) {
        this.pos += close.length;
        return out;
      }
      const c = this.src[this.pos]!;
      if (c === '\n' && !triple) this.fail('newline in a string');
      if (c !== '\\') {
        out += c;
        this.pos++;
      } else if (raw) {
        // A raw string keeps the backslash, but it still stops the next character from closing the string.
        out += this.src.slice(this.pos, this.pos + 2);
        this.pos += 2;
      } else {
        out += this.escape();
      }
    }
  }

  private escape(): string {
    const e = this.src[this.pos + 1] ?? '';
    this.pos += 2;
    const simple = SIMPLE_ESCAPES[e];
    if (simple !== undefined) return simple;
    if (/[0-7]/.test(e)) {
      const more = /^[0-7]{0,2}/.exec(this.src.slice(this.pos))![0];
      this.pos += more.length;
      return String.fromCodePoint(Number.parseInt(e + more, 8));
    }
    const width = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
    if (width > 0) {
      const digits = this.src.slice(this.pos, this.pos + width);
      if (!new RegExp(`^[0-9a-fA-F]{${width}}$`).test(digits)) this.fail(`truncated \\${e} escape`);
      const cp = Number.parseInt(digits, 16);
      if (cp > 0x10ffff) this.fail(`\\${e}${digits} is beyond Unicode`);
      this.pos += width;
      return String.fromCodePoint(cp);
    }
    if (e === 'N') this.fail('\\N{...} escapes are not supported');
    // Python keeps unknown escapes as they are (with a DeprecationWarning).
    return `\\${e}`;
  }

  private sequence(end: ']' | ')'): PyValue {
    this.pos++;
    const items: PyValue[] = [];
    let sawComma = false;
    for (;;) {
      this.skipSpace();
      if (this.peek() === end) break;
      items.push(this.value());
      this.skipSpace();
      if (this.peek() === ',') {
        this.pos++;
        sawComma = true;
      } else if (this.peek() !== end) this.fail(`expected ',' or '${end}'`);
    }
    this.pos++;
    if (end === ']') return items;
    // '(x)' is just x; a tuple needs a comma or no items at all.
    if (items.length === 1 && !sawComma) return items[0]!;
    return { type: 'tuple', items };
  }

  private dict(): PyValue {
    this.pos++;
    const entries: Array<[PyValue, PyValue]> = [];
    const index = new Map<string, number>();
    for (;;) {
      this.skipSpace();
      if (this.peek() === '}') break;
      const keyAt = this.pos;
      const key = this.value();
      this.skipSpace();
      if (this.peek() !== ':') this.fail(entries.length === 0 ? 'sets are not supported' : "expected ':'");
      const hash = keyHash(key);
      if (hash === undefined) {
        this.pos = keyAt;
        this.fail('a dict key must be hashable (no list or dict)');
      }
      this.pos++;
      this.skipSpace();
      const value = this.value();
      // A repeated key keeps its first position and takes the last value, as in a Python dict.
      const at = index.get(hash);
      if (at !== undefined) entries[at] = [entries[at]![0], value];
      else {
        index.set(hash, entries.length);
        entries.push([key, value]);
      }
      this.skipSpace();
      if (this.peek() === ',') this.pos++;
      else if (this.peek() !== '}') this.fail("expected ',' or '}'");
    }
    this.pos++;
    return { type: 'dict', entries };
  }
}

/**
 * Equal Python keys map to the same text, as dict lookup sees them (1 == 1.0 == True); undefined for the
 * unhashable (a list or dict, also inside a tuple), which literal_eval refuses as a key.
 */
function keyHash(k: PyValue): string | undefined {
  if (k === null) return 'None';
  if (typeof k === 'string') return `s${k}`;
  if (typeof k === 'boolean') return k ? 'i1' : 'i0';
  if (typeof k === 'bigint') return `i${k}`;
  if (typeof k === 'number') return Number.isInteger(k) ? `i${BigInt(k)}` : `f${k}`;
  if (Array.isArray(k) || k.type === 'dict') return undefined;
  const items = k.items.map(keyHash);
  // JSON keeps the item boundaries unambiguous whatever the items hold.
  return items.includes(undefined) ? undefined : `t${JSON.stringify(items)}`;
}
