// The S3 driver against an endpoint that stalls, trickles and resets (test/helpers/fault-proxy.ts in front of
// s3rver): every call ends within its deadlines with STORE_UNREACHABLE or STORE_ERROR saying what timed out,
// and a download that breaks off is resumed with a ranged GET into one continuous, identical stream.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import type { Readable } from 'node:stream';
import { after, before, beforeEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { StoreTimeouts } from '../../src/config/types.js';
import { PgdrError } from '../../src/errors.js';
import { S3ObjectStore } from '../../src/storage/s3/s3-store.js';
import { caught } from '../helpers/caught.js';
import { type FaultProxy, startFaultProxy } from '../helpers/fault-proxy.js';
import { type S3rverHandle, startS3rver } from '../helpers/s3rver.js';
import { assertStalledCalls } from '../helpers/stalled-store.js';

const BUCKET = 'deadlines';
const MIB = 1024 * 1024;
const OBJECT = 3 * MIB;

let s3: S3rverHandle;
let proxy: FaultProxy;
let direct: S3ObjectStore;
const stores: S3ObjectStore[] = [];
const data = randomBytes(OBJECT);

before(async () => {
  s3 = await startS3rver({ buckets: [BUCKET] });
  proxy = await startFaultProxy(s3.port);
  direct = open({}, s3.endpoint);
  await direct.put('obj/big.bin', data);
  await direct.put('obj/small.txt', Buffer.from('small'));
});
after(async () => {
  for (const s of stores) await s.close();
  await proxy?.close();
  await s3?.stop();
});
beforeEach(() => proxy.setRules([]));

function open(
  o: { timeouts?: Partial<StoreTimeouts>; maxAttempts?: number; maxResumes?: number },
  endpoint = proxy.endpoint,
): S3ObjectStore {
  const store = new S3ObjectStore({
    bucket: BUCKET,
    endpoint,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    retryBaseMs: 20,
    ...o,
  });
  stores.push(store);
  return store;
}

async function collect(r: Readable, pauseMs = 0): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) {
    chunks.push(c as Buffer);
    if (pauseMs > 0 && chunks.length === 1) await sleep(pauseMs);
  }
  return Buffer.concat(chunks);
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const ranged = () => proxy.requests.filter((r) => r.range !== undefined);

describe('S3 driver deadlines', () => {
  it('a stalled endpoint: every call ends with STORE_UNREACHABLE naming the call, key and deadline', async () => {
    proxy.setRules([{ action: { kind: 'stall' } }]);
    const store = open({ timeouts: { requestMs: 500 }, maxAttempts: 2 });
    const names = { list: 'ListObjectsV2', get: 'GetObject', head: 'HeadObject', put: 'PutObject' };
    await assertStalledCalls(store, names, { where: `s3://${BUCKET}/`, endpoint: proxy.endpoint });
  });

  it('an endpoint that never accepts the connection: STORE_UNREACHABLE naming the connect deadline', async () => {
    // listen(0) and no accept(): one connection fills the queue, the kernel leaves the next ones unanswered.
    const listener = spawn('python3', [
      '-c',
      'import socket,time\ns=socket.socket()\ns.bind(("127.0.0.1",0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(600)',
    ]);
    const port = await new Promise<number>((resolve) =>
      listener.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))),
    );
    const filler = connect(port, '127.0.0.1').on('error', () => undefined);
    try {
      await new Promise((resolve) => filler.once('connect', resolve));
      const store = open({ timeouts: { connectMs: 500 }, maxAttempts: 2 }, `http://127.0.0.1:${port}`);
      const e = await caught(store.list('obj/'));
      assert.equal(e.code, 'STORE_UNREACHABLE', e.message);
      assert.match(
        e.message,
        /^ListObjectsV2 on s3:\/\/deadlines\/obj\/: no connection to http:\/\/127\.0\.0\.1:\d+ within 0\.5 s \(objectStore\.timeouts\.connect\), after 2 attempts$/,
      );
    } finally {
      filler.destroy();
      listener.kill();
    }
  });

  it('a listing trickled in one byte at a time ends with STORE_ERROR: the answer did not complete', async () => {
    proxy.setRules([{ method: 'GET', path: /list-type=2/, action: { kind: 'trickle', intervalMs: 100 } }]);
    const e = await caught(open({ timeouts: { requestMs: 1000 }, maxAttempts: 2 }).list('obj/'));
    assert.equal(e.code, 'STORE_ERROR', e.message);
    assert.match(
      e.message,
      /^ListObjectsV2 on s3:\/\/deadlines\/obj\/: the answer from http:\/\/127\.0\.0\.1:\d+ did not complete within 1 s \(objectStore\.timeouts\.request\)/,
    );
    assert.equal(e.details?.phase, 'body');
  });

  it('the retries of one request end at objectStore.timeouts.operation', async () => {
    proxy.setRules([{ action: { kind: 'stall' } }]);
    const store = open({ timeouts: { requestMs: 1000, operationMs: 1500 }, maxAttempts: 50 });
    const e = await caught(store.list('obj/'));
    assert.equal(e.code, 'STORE_UNREACHABLE', e.message);
    assert.match(e.message, /no answer from .* within 1\.5 s \(objectStore\.timeouts\.operation\)/);
    assert.ok(Number(e.details?.attempts) < 50, JSON.stringify(e.details));
  });

  it("a caller's deadline (the command budget) cuts a request and is named in the error", async () => {
    proxy.setRules([{ action: { kind: 'stall' } }]);
    const store = open({ timeouts: { requestMs: 60_000 } });
    const budget = new AbortController();
    const reason = new PgdrError(
      'STORE_UNREACHABLE',
      'wal restore did not finish within its budget of 0.3 s',
      {
        details: { deadline: 'command', timeoutMs: 300 },
      },
    );
    setTimeout(() => budget.abort(reason), 300);
    const e = await caught(store.get('obj/big.bin', { signal: budget.signal }));
    assert.equal(e.code, 'STORE_UNREACHABLE', e.message);
    assert.match(
      e.message,
      /^GetObject on s3:\/\/deadlines\/obj\/big\.bin \(waiting for an answer from http:\/\/127\.0\.0\.1:\d+\): wal restore did not finish within its budget of 0\.3 s$/,
    );
    assert.equal(e.details?.deadline, 'command');
  });
});

describe('S3 driver resumable downloads', () => {
  it('a download reset midway is resumed with a ranged GET into one identical stream', async () => {
    proxy.setRules([
      {
        method: 'GET',
        path: /big\.bin$/,
        ranged: false,
        times: 1,
        action: { kind: 'reset', afterBytes: MIB },
      },
    ]);
    const got = await collect(await open({}).get('obj/big.bin'));
    assert.equal(got.length, OBJECT);
    assert.equal(sha(got), sha(data));
    const resumed = ranged();
    assert.equal(resumed.length, 1, JSON.stringify(proxy.requests));
    assert.match(resumed[0]!.range!, /^bytes=[1-9]\d*-$/);
  });

  it('a download reset on every attempt ends after the bounded resumes with a clear error', async () => {
    proxy.setRules([{ method: 'GET', path: /big\.bin$/, action: { kind: 'reset', afterBytes: 256 * 1024 } }]);
    const body = await open({ maxResumes: 3 }).get('obj/big.bin');
    const e = await caught(collect(body));
    assert.equal(e.code, 'STORE_UNREACHABLE', e.message);
    assert.match(
      e.message,
      /^GetObject on s3:\/\/deadlines\/obj\/big\.bin: the connection to .* failed \(ECONNRESET\); the download broke off at byte \d+ of 3145728, after resuming it 3 times \(at most 3\)$/,
    );
    assert.equal(ranged().length, 3);
  });

  it('a download stalled midway (trickling) is resumed, and one stalled on every attempt ends', async () => {
    const store = open({ timeouts: { requestMs: 1000 }, maxResumes: 2 });
    proxy.setRules([
      { method: 'GET', path: /big\.bin$/, ranged: false, action: { kind: 'trickle', intervalMs: 200 } },
    ]);
    assert.equal(sha(await collect(await store.get('obj/big.bin'))), sha(data));
    // Each trickled byte that arrived is kept: the ranged GET starts after it.
    assert.equal(ranged().length, 1, JSON.stringify(proxy.requests));
    assert.match(ranged()[0]!.range!, /^bytes=\d+-$/);

    proxy.setRules([{ method: 'GET', path: /big\.bin$/, action: { kind: 'trickle', intervalMs: 200 } }]);
    const e = await caught(collect(await store.get('obj/big.bin')));
    assert.equal(e.code, 'STORE_ERROR', e.message);
    assert.match(
      e.message,
      /the download from .* stalled: less than 64 KiB arrived in 1 s \(objectStore\.timeouts\.request\); the download broke off at byte \d+ of 3145728, after resuming it 2 times/,
    );
  });

  it('a reader that stops for longer than the request deadline is not taken for a stalled store', async () => {
    const store = open({ timeouts: { requestMs: 1000 } });
    const got = await collect(await store.get('obj/big.bin'), 2500);
    assert.equal(sha(got), sha(data));
    assert.deepEqual(ranged(), [], 'nothing was resumed');
  });

  it('an object rewritten while it is downloaded fails with STORE_ERROR naming the key, never mixing', async () => {
    await direct.put('obj/changing.bin', data);
    proxy.setRules([
      {
        method: 'GET',
        path: /changing\.bin$/,
        ranged: false,
        times: 1,
        action: { kind: 'reset', afterBytes: MIB },
        onFault: () => direct.put('obj/changing.bin', randomBytes(OBJECT)),
      },
    ]);
    const e = await caught(collect(await open({}).get('obj/changing.bin')));
    assert.equal(e.code, 'STORE_ERROR', e.message);
    assert.match(
      e.message,
      /^object s3:\/\/deadlines\/obj\/changing\.bin changed \(ETag .* -> .*\) while it was being downloaded, after \d+ bytes$/,
    );
  });
});
