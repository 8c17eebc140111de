import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isStale, type LockBody, parseLock } from '../../src/agent/stale-lock.js';

const lock: LockBody = {
  owner: 'aaaa',
  host: 'db1',
  pid: 4242,
  job: 'backup',
  acquiredAt: '2026-11-24T06:00:00.000Z',
  heartbeatAt: '2026-11-24T06:10:00.000Z',
};
const base = { lock, staleAfterMs: 900_000, host: 'db2', pid: 7, pidAlive: () => true };

describe('stale-lock rule', () => {
  it('a lock with a recent heartbeat on another host holds', () => {
    assert.deepEqual(isStale({ ...base, now: new Date('2026-11-24T06:20:00Z') }), { stale: false });
  });
  it('a heartbeat older than the limit is stale, whatever the host', () => {
    const v = isStale({ ...base, now: new Date('2026-11-24T06:25:01Z') });
    assert.equal(v.stale, true);
    assert.match((v as { why: string }).why, /heartbeat stopped 901 s ago/);
  });
  it('same host: a dead pid is stale at once, a live one holds', () => {
    const now = new Date('2026-11-24T06:10:05Z');
    assert.equal(isStale({ ...base, now, host: 'db1', pidAlive: () => false }).stale, true);
    assert.equal(isStale({ ...base, now, host: 'db1', pidAlive: () => true }).stale, false);
  });
  it('same host and our own pid (a restarted container is pid 1 again) is stale', () => {
    const v = isStale({ ...base, now: new Date('2026-11-24T06:10:05Z'), host: 'db1', pid: 4242 });
    assert.equal(v.stale, true);
  });
  it('an unreadable heartbeat is stale; parseLock refuses garbage', () => {
    assert.equal(isStale({ ...base, lock: { ...lock, heartbeatAt: 'x' }, now: new Date() }).stale, true);
    assert.equal(parseLock('not json'), undefined);
    assert.equal(parseLock('{"owner":1}'), undefined);
    assert.deepEqual(parseLock(JSON.stringify(lock)), lock);
  });
});
