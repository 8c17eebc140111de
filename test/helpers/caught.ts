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
