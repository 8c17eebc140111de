// Settings shared by the parser fuzz tests (test/unit/fuzz-*.test.ts). The normal run is short and repeatable
// (a fixed seed); PGDR_FUZZ_RUNS=N multiplies the runs (and the time allowed) for a long hunt, and
// PGDR_FUZZ_SEED replays the seed a failure printed.
import assert from 'node:assert/strict';
import type { Parameters } from 'fast-check';
import { type ErrorCode, isPgdrError } from '../../src/errors.js';

const FACTOR = Math.max(1, Number(process.env['PGDR_FUZZ_RUNS'] ?? '1') || 1);
const SEED = process.env['PGDR_FUZZ_SEED'] === undefined ? 0x5eed : Number(process.env['PGDR_FUZZ_SEED']);

/**
 * fast-check parameters for one property: `runs` runs (times PGDR_FUZZ_RUNS), stopped early (as a pass) once
 * `seconds` have gone by, so a slow machine does fewer runs instead of failing.
 */
export function fuzzRuns(runs: number, seconds = 2): Parameters<unknown> {
  return {
    seed: SEED,
    numRuns: runs * FACTOR,
    interruptAfterTimeLimit: seconds * 1000 * FACTOR,
    markInterruptAsFailure: false,
  };
}

/** A node:test timeout for a fuzz test whose properties together allow `seconds`. */
export function fuzzTimeout(seconds: number): number {
  return (seconds * FACTOR + 30) * 1000;
}

/**
 * Runs fn; a value passes, and so does a PgdrError with one of `codes`. Anything else thrown fails the
 * property with the input shown by fast-check.
 */
export function valueOrPgdrError<T>(fn: () => T, codes: readonly ErrorCode[]): T | undefined {
  try {
    return fn();
  } catch (e) {
    assert.ok(
      isPgdrError(e) && codes.includes(e.code),
      `expected a value or a PgdrError ${codes.join('/')}, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`,
    );
    return undefined;
  }
}
