// The exit code of `pgdr check` and `pgdr verify`, decided here in the CLI like every other exit code.
import { ERRORS } from '../errors.js';
import type { CheckOutcome } from '../verify/check-result.js';

/** 0 / CHECKS_WARN / CHECKS_FAILED: the contract scripts and monitoring rely on. */
export function exitCodeOf(result: CheckOutcome): number {
  return result === 'pass'
    ? 0
    : result === 'warn'
      ? ERRORS.CHECKS_WARN.exitCode
      : ERRORS.CHECKS_FAILED.exitCode;
}
