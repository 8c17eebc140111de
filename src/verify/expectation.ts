// Judges one value against a data check's expectation. Pure (`now` is passed in), so the rules are unit-tested
// without a database.

import { formatDuration } from '../common/duration.js';
import type { CheckStatus, CheckValue } from './check-result.js';

export interface Expectation {
  readonly min?: number | undefined;
  readonly max?: number | undefined;
  /** Compared as numbers when both sides are numeric, else as text. */
  readonly equals?: CheckValue | undefined;
  /** Milliseconds: the value is a timestamp no older than this. */
  readonly fresherThanMs?: number | undefined;
}

export interface Judgement {
  readonly status: Extract<CheckStatus, 'pass' | 'fail'>;
  /** Why it failed, or '' on a pass. */
  readonly why: string;
}

const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function asNumber(v: CheckValue): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && /^\s*-?\d+(\.\d+)?([eE][+-]?\d+)?\s*$/.test(v)) return Number(v);
  return undefined;
}

export function asTime(v: CheckValue): Date | undefined {
  if (typeof v !== 'string' || !ISO_RE.test(v)) return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

export function show(v: CheckValue): string {
  return v === null ? 'NULL' : typeof v === 'string' ? v : String(v);
}

export function judge(value: CheckValue, e: Expectation, now: Date): Judgement {
  const fails: string[] = [];
  if (e.min !== undefined || e.max !== undefined) {
    const n = asNumber(value);
    if (n === undefined) fails.push(`${show(value)} is not a number`);
    else {
      if (e.min !== undefined && n < e.min) fails.push(`${n} is below the minimum ${e.min}`);
      if (e.max !== undefined && n > e.max) fails.push(`${n} is above the maximum ${e.max}`);
    }
  }
  if (e.equals !== undefined && !same(value, e.equals)) {
    fails.push(`${show(value)} is not the expected ${show(e.equals)}`);
  }
  if (e.fresherThanMs !== undefined) {
    const t = asTime(value);
    if (!t) fails.push(`${show(value)} is not a timestamp`);
    else if (now.getTime() - t.getTime() > e.fresherThanMs) {
      const age = formatDuration(now.getTime() - t.getTime());
      fails.push(`${show(value)} is ${age} old, older than ${formatDuration(e.fresherThanMs)}`);
    }
  }
  return fails.length ? { status: 'fail', why: fails.join('; ') } : { status: 'pass', why: '' };
}

function same(a: CheckValue, b: CheckValue): boolean {
  const x = asNumber(a);
  const y = asNumber(b);
  if (x !== undefined && y !== undefined) return x === y;
  if (typeof a === 'boolean' || typeof b === 'boolean') return String(a) === String(b);
  return show(a) === show(b);
}

export type CompareMode = 'atLeast' | 'equal' | 'ignore';

/**
 * Compares a value with the one captured earlier (--expect-from): counts and timestamps must not go back
 * (rows lost, or a restore older than the capture); other values must be equal.
 */
export function compareCaptured(
  value: CheckValue,
  captured: CheckValue,
  mode: CompareMode | undefined,
): Judgement {
  // A NULL capture (e.g. max() of an empty table) is 'nothing yet': any value is at least that.
  if (mode === 'ignore' || (captured === null && mode !== 'equal')) return { status: 'pass', why: '' };
  const n = asNumber(value);
  const c = asNumber(captured);
  const effective = mode ?? (c !== undefined || asTime(captured) ? 'atLeast' : 'equal');
  if (effective === 'equal') {
    return same(value, captured)
      ? { status: 'pass', why: '' }
      : { status: 'fail', why: `${show(value)} differs from the captured ${show(captured)}` };
  }
  if (c !== undefined) {
    if (n === undefined) return { status: 'fail', why: `${show(value)} is not a number (captured ${c})` };
    return n >= c
      ? { status: 'pass', why: '' }
      : { status: 'fail', why: `${n} is below the captured ${c} (${c - n} fewer)` };
  }
  const ct = asTime(captured);
  const t = asTime(value);
  if (ct === undefined) return { status: 'fail', why: `the captured ${show(captured)} cannot be compared` };
  if (t === undefined)
    return { status: 'fail', why: `${show(value)} is not a timestamp (captured ${show(captured)})` };
  return t.getTime() >= ct.getTime()
    ? { status: 'pass', why: '' }
    : { status: 'fail', why: `${show(value)} is older than the captured ${show(captured)}` };
}
