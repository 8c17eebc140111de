// The PgdrError a promise rejects with; fails the test when it resolves or rejects with anything else.
import assert from 'node:assert/strict';
import { isPgdrError, type PgdrError } from '../../src/errors.js';

export async function caught(p: Promise<unknown>): Promise<PgdrError> {
  try {
    await p;
  } catch (e) {
    assert.ok(isPgdrError(e), `expected a PgdrError, got ${(e as Error)?.stack ?? String(e)}`);
    return e;
  }
  assert.fail('expected a rejection');
}

/** Everything a user or a log could see of an error: message, hint, details, cause, JSON form and stack. */
export function visible(e: PgdrError): string {
  const cause =
    e.cause instanceof Error
      ? `${e.cause.message} ${JSON.stringify(e.cause)}`
      : JSON.stringify(e.cause ?? '');
  return [
    e.message,
    e.hint ?? '',
    JSON.stringify(e.details ?? {}),
    cause,
    JSON.stringify(e),
    e.stack ?? '',
  ].join('\n');
}
