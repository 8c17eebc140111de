// The check every cloud driver's deadline test makes against an endpoint that never answers: each call of the
// store ends with STORE_UNREACHABLE naming the driver's call, the object and the request deadline it passed.
import assert from 'node:assert/strict';
import type { PgdrError } from '../../src/errors.js';
import type { ObjectStore } from '../../src/storage/object-store.js';
import { caught } from './caught.js';

/** The driver's names of list, get, head (HEAD or metadata GET) and put, as its errors say them. */
export interface CallNames {
  readonly list: string;
  readonly get: string;
  readonly head: string;
  readonly put: string;
}

/**
 * Every call of `store` (a driver opened on the stalling `endpoint` with requestMs 500 and 2 attempts) fails so;
 * `where` is the store's name of an object (`s3://bucket/`), `more` any check of the driver's own.
 */
export async function assertStalledCalls(
  store: ObjectStore,
  names: CallNames,
  o: { where: string; endpoint: string; more?: (e: PgdrError) => void },
): Promise<void> {
  const calls: Array<[string, string, () => Promise<unknown>]> = [
    [names.list, 'obj/', () => store.list('obj/')],
    [names.get, 'obj/small.txt', () => store.getBuffer('obj/small.txt')],
    [names.get, 'obj/big.bin', () => store.get('obj/big.bin')],
    [names.head, 'obj/small.txt', () => store.head('obj/small.txt')],
    [names.put, 'obj/new.txt', () => store.put('obj/new.txt', Buffer.from('new'))],
  ];
  for (const [operation, key, call] of calls) {
    const e = await caught(call());
    assert.equal(e.code, 'STORE_UNREACHABLE', e.message);
    assert.ok(e.message.startsWith(`${operation} on ${o.where}${key}: `), e.message);
    assert.ok(
      e.message.includes(`no answer from ${o.endpoint} within 0.5 s (objectStore.timeouts.request)`),
      e.message,
    );
    assert.match(e.message, /, after 2 attempts$/);
    assert.match(e.hint ?? '', /raise objectStore\.timeouts\.request/);
    assert.equal(e.details?.deadline, 'request');
    o.more?.(e);
  }
}
