// Settings shared by the parser fuzz tests (test/unit/fuzz-*.test.ts). The normal run is short and repeatable
// (a fixed seed, a few thousand runs per property, stopped early on a slow machine). PGDR_FUZZ_RUNS=N runs every
// property N times with no time limit, as in fuzz-tar.test.ts; PGDR_FUZZ_SEED replays the seed a failure printed.
import assert from 'node:assert/strict';
import type { Parameters } from 'fast-check';
import { type ErrorCode, isPgdrError } from '../../src/errors.js';

const RUNS = process.env['PGDR_FUZZ_RUNS'] === undefined ? undefined : Number(process.env['PGDR_FUZZ_RUNS']);
const SEED = process.env['PGDR_FUZZ_SEED'] === undefined ? 0x5eed : Number(process.env['PGDR_FUZZ_SEED']);

/**
 * fast-check parameters for one property: `runs` runs, stopped early (as a pass) once `seconds` have gone by,
 * so a slow machine does fewer runs instead of failing; PGDR_FUZZ_RUNS replaces both.
 */
export function fuzzRuns(runs: number, seconds = 2): Parameters<unknown> {
  if (RUNS !== undefined) return { seed: SEED, numRuns: RUNS };
  return {
    seed: SEED,
    numRuns: runs,
    interruptAfterTimeLimit: seconds * 1000,
    markInterruptAsFailure: false,
  };
}

/** A node:test timeout for a fuzz test whose properties together allow `seconds` (none for a long hunt). */
export function fuzzTimeout(seconds: number): number {
  return RUNS === undefined ? (seconds + 30) * 1000 : Number.POSITIVE_INFINITY;
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
