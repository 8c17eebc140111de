// The bucket lock on a file:// store (the same ObjectStore contract as S3): one holder at a time, a live
// holder blocks, a dead one is taken over, release deletes only our own lock.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { acquireLock, agentIdentity, lockKey } from '../../src/agent/bucket-lock.js';
import { isPgdrError } from '../../src/errors.js';
import { FsObjectStore } from '../../src/storage/fs/fs-store.js';

const root = mkdtempSync(join(tmpdir(), 'pgdr-lock-'));
after(() => rmSync(root, { recursive: true, force: true }));
const store = new FsObjectStore(root);
const opts = { store, serverName: 'db', staleAfterMs: 60_000, settleMs: 10 };
const file = join(root, lockKey('db'));

describe('bucket lock', () => {
  it('is taken, blocks a second holder, and is deleted on release', async () => {
    const first = await acquireLock(opts, 'backup');
    assert.equal(first.acquired, true);
    const body = JSON.parse(await readFile(file, 'utf8'));
    assert.equal(body.owner, agentIdentity.owner);
    assert.equal(body.pid, process.pid);
    // Another live process on this host holds it: pid 1 is always alive.
    await writeFile(file, JSON.stringify({ ...body, owner: 'other', pid: 1 }));
    const second = await acquireLock(opts, 'backup');
    assert.equal(second.acquired, false);
    assert.equal(second.acquired === false && second.holder?.owner, 'other');
    // Our release leaves another owner's lock alone.
    if (first.acquired) await first.release();
    assert.equal(JSON.parse(await readFile(file, 'utf8')).owner, 'other');
  });
  it('takes over a lock whose heartbeat stopped, or whose process is gone from this host', async () => {
    const old = new Date(Date.now() - 120_000).toISOString();
    const stale = { owner: 'x', host: 'elsewhere', pid: 1, job: 'backup', acquiredAt: old, heartbeatAt: old };
    await writeFile(file, JSON.stringify(stale));
    const a = await acquireLock(opts, 'backup');
    assert.equal(a.acquired, true);
    if (a.acquired) await a.release();
    const now = new Date().toISOString();
    const dead = { ...stale, host: agentIdentity.host, pid: 2 ** 22 + 17, acquiredAt: now, heartbeatAt: now };
    await writeFile(file, JSON.stringify(dead));
    const b = await acquireLock(opts, 'retention');
    assert.equal(b.acquired, true);
    if (b.acquired) await b.release();
    await assert.rejects(readFile(file), /ENOENT/);
  });
  it('an aborted acquisition leaves no lock behind', async () => {
    const ac = new AbortController();
    const p = acquireLock({ ...opts, settleMs: 5000, signal: ac.signal }, 'backup');
    setImmediate(() => ac.abort());
    // Wherever the abort lands: the put (ABORTED) or the settle wait (node's AbortError).
    await assert.rejects(p, (e) => isPgdrError(e, 'ABORTED') || (e as Error).name === 'AbortError');
    await assert.rejects(readFile(file), /ENOENT/);
  });
});
