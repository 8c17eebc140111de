// One contract, every driver: the same tests run against the file driver, the S3 driver (on s3rver, at the
// bucket root and under a nested prefix, and through a proxy that breaks every download off once midway), the
// GCS driver (on the loopback GCS fake, with small listing pages, and through the same proxy) and the Azure
// driver (on Azurite, with a shared key, a SAS token, and through the same proxy).
// A behaviour that differs between drivers is a bug in one of them.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { isPgdrError } from '../../src/errors.js';
import { AzureObjectStore } from '../../src/storage/azure/azure-store.js';
import { FsObjectStore } from '../../src/storage/fs/fs-store.js';
import { GcsObjectStore } from '../../src/storage/gcs/gcs-store.js';
import type { ObjectStore } from '../../src/storage/object-store.js';
import { S3ObjectStore } from '../../src/storage/s3/s3-store.js';
import { type AzuriteHandle, startAzurite } from '../helpers/azurite.js';
import { type FaultProxy, startFaultProxy } from '../helpers/fault-proxy.js';
import { type GcsFake, keyCredentials, startGcsFake } from '../helpers/gcs-fake.js';
import { type S3rverHandle, startS3rver } from '../helpers/s3rver.js';

const MIB = 1024 * 1024;
const PART = 5 * MIB;

let s3: S3rverHandle;
let gcs: GcsFake;
let azurite: AzuriteHandle;
before(async () => {
  s3 = await startS3rver({ buckets: ['conformance-root', 'conformance-nested', 'conformance-reset'] });
  gcs = await startGcsFake({ buckets: ['gcs-root', 'gcs-nested', 'gcs-reset'] });
  azurite = await startAzurite({
    containers: ['conformance-root', 'conformance-nested', 'conformance-reset'],
  });
});
after(async () => {
  await s3?.stop();
  await gcs?.close();
  await azurite?.stop();
});

function azureStore(
  container: string,
  prefix: string,
  sas = false,
  service = azurite.service,
): AzureObjectStore {
  const credentials = sas
    ? { kind: 'sas' as const, sasToken: azurite.accountSas(), source: 'test SAS' }
    : { kind: 'sharedKey' as const, account: azurite.account, key: azurite.key, source: 'test key' };
  return new AzureObjectStore({ service, container, prefix, credentials, partSize: PART, retryBaseMs: 20 });
}

function gcsStore(bucket: string, prefix: string, endpoint = gcs.endpoint): GcsObjectStore {
  return new GcsObjectStore({
    bucket,
    prefix,
    endpoint,
    credentials: keyCredentials(gcs.serviceAccount()),
    chunkSize: PART,
    retryBaseMs: 20,
  });
}

function s3Store(bucket: string, prefix: string, endpoint = s3.endpoint): S3ObjectStore {
  const credentials = { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey };
  return new S3ObjectStore({
    bucket,
    prefix,
    endpoint,
    credentials,
    partSize: PART,
    retryBaseMs: 20,
  });
}

async function collect(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function chunked(data: Buffer, size = 256 * 1024): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) out.push(data.subarray(i, i + size));
  return out;
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** Yields `before` bytes, then calls `then` (which may throw to fail the stream, or never settle to stall it). */
function streamThen(before: number, then: () => Promise<void>): Readable {
  async function* gen(): AsyncGenerator<Buffer> {
    for (let sent = 0; sent < before; sent += MIB) yield randomBytes(Math.min(MIB, before - sent));
    await then();
    yield randomBytes(MIB);
  }
  return Readable.from(gen(), { objectMode: false, highWaterMark: MIB });
}

async function assertAbsent(store: ObjectStore, key: string): Promise<void> {
  assert.equal(await store.head(key), undefined, `${key} must not exist`);
  const listed = await store.list(key.slice(0, key.lastIndexOf('/') + 1));
  assert.deepEqual(
    listed.objects.map((o) => o.key).filter((k) => k === key),
    [],
  );
}

async function withConcurrency<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

function conformance(
  name: string,
  open: () => Promise<{ store: ObjectStore; cleanup: () => Promise<void> }>,
): void {
  describe(name, () => {
    let store: ObjectStore;
    let cleanup: () => Promise<void>;
    before(async () => {
      ({ store, cleanup } = await open());
    });
    after(async () => {
      await store.close();
      await cleanup();
    });

    it('checkAccess accepts a usable destination', async () => {
      await store.checkAccess();
    });

    it('round-trips a Buffer (get, getBuffer, head)', async () => {
      const data = randomBytes(1000);
      await store.put('rt/buffer.bin', data);
      assert.deepEqual(await store.getBuffer('rt/buffer.bin'), data);
      assert.deepEqual(await collect(await store.get('rt/buffer.bin')), data);
      const info = await store.head('rt/buffer.bin');
      assert.equal(info?.key, 'rt/buffer.bin');
      assert.equal(info?.size, 1000);
      assert.ok(
        info && Math.abs(info.lastModified.getTime() - Date.now()) < 10 * 60_000,
        'lastModified is now',
      );
      await store.put('rt/empty', Buffer.alloc(0));
      assert.equal((await store.getBuffer('rt/empty')).length, 0);
    });

    it('round-trips a stream that fits in one part, and one of exactly one part', async () => {
      const small = randomBytes(300 * 1024);
      await store.put('rt/small-stream', Readable.from(chunked(small)));
      assert.deepEqual(await store.getBuffer('rt/small-stream'), small);
      const exact = randomBytes(PART);
      await store.put('rt/one-part', Readable.from(chunked(exact)));
      assert.equal(sha(await store.getBuffer('rt/one-part')), sha(exact));
    });

    it('round-trips streams larger than the part size (multipart), incl. an exact multiple', async () => {
      const big = randomBytes(12 * MIB + 123);
      await store.put('rt/big.bin', Readable.from(chunked(big, 64 * 1024)));
      assert.equal(sha(await collect(await store.get('rt/big.bin'))), sha(big));
      assert.equal((await store.head('rt/big.bin'))?.size, big.length);
      const twoParts = randomBytes(2 * PART);
      await store.put('rt/two-parts.bin', Readable.from([twoParts]));
      assert.equal(sha(await store.getBuffer('rt/two-parts.bin')), sha(twoParts));
    });

    it('keys with spaces, reserved and non-ASCII characters round-trip and list', async () => {
      const keys = ['sp/a b+c=d!(1)&x;y$.txt', "sp/it's @home, 100%.bin", 'sp/ü/é~_-.txt'];
      for (const k of keys) await store.put(k, Buffer.from(k));
      for (const k of keys) assert.equal((await store.getBuffer(k)).toString(), k);
      assert.deepEqual(
        (await store.list('sp/')).objects.map((o) => o.key),
        [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))),
      );
      assert.deepEqual((await store.list('sp/', { delimiter: '/' })).prefixes, ['sp/ü/']);
    });

    it('get() is one continuous stream of the whole object, also for a reader that pauses', async () => {
      const data = randomBytes(3 * MIB + 17);
      await store.put('gs/paused.bin', data);
      const chunks: Buffer[] = [];
      for await (const c of await store.get('gs/paused.bin')) {
        chunks.push(c as Buffer);
        if (chunks.length === 1) await new Promise((r) => setTimeout(r, 300));
      }
      assert.equal(sha(Buffer.concat(chunks)), sha(data));
    });

    it('overwrites an existing object', async () => {
      await store.put('ow/key', Buffer.from('first version, longer'));
      await store.put('ow/key', Buffer.from('second'));
      assert.equal((await store.getBuffer('ow/key')).toString(), 'second');
      await store.put('ow/key', Readable.from([Buffer.from('third')]));
      assert.equal((await store.getBuffer('ow/key')).toString(), 'third');
    });

    it('ifAbsent stores a new key and refuses an existing one, keeping the original bytes', async () => {
      await store.put('ia/key', Buffer.from('original'), { ifAbsent: true });
      await assert.rejects(store.put('ia/key', Buffer.from('other'), { ifAbsent: true }), (e) =>
        isPgdrError(e, 'CONFLICT'),
      );
      await assert.rejects(
        store.put('ia/key', Readable.from([Buffer.from('other stream')]), { ifAbsent: true }),
        (e) => isPgdrError(e, 'CONFLICT'),
      );
      assert.equal((await store.getBuffer('ia/key')).toString(), 'original');
    });

    it('head: undefined for missing keys and for "folders"', async () => {
      await store.put('hd/dir/file', Buffer.from('x'));
      assert.equal(await store.head('hd/missing'), undefined);
      assert.equal(await store.head('hd/dir'), undefined);
      assert.equal((await store.head('hd/dir/file'))?.size, 1);
    });

    it('get and getBuffer of a missing key throw NOT_FOUND', async () => {
      await assert.rejects(store.get('nf/missing'), (e) => isPgdrError(e, 'NOT_FOUND'));
      await assert.rejects(store.getBuffer('nf/missing'), (e) => isPgdrError(e, 'NOT_FOUND'));
    });

    it('lists with and without delimiter: sorted, relative keys, folded prefixes', async () => {
      const keys = ['ls/c/4.txt', 'ls/ba.txt', 'ls/b/c/3.txt', 'ls/a.txt', 'ls/b/2.txt', 'ls/b/1.txt'];
      for (const k of keys) await store.put(k, Buffer.from(k));
      const all = await store.list('ls/');
      assert.deepEqual(
        all.objects.map((o) => o.key),
        ['ls/a.txt', 'ls/b/1.txt', 'ls/b/2.txt', 'ls/b/c/3.txt', 'ls/ba.txt', 'ls/c/4.txt'],
      );
      assert.deepEqual(all.prefixes, []);
      assert.equal(all.objects[0]?.size, 'ls/a.txt'.length);
      assert.ok(all.objects[0]?.lastModified instanceof Date);
      const partial = await store.list('ls/b');
      assert.deepEqual(
        partial.objects.map((o) => o.key),
        ['ls/b/1.txt', 'ls/b/2.txt', 'ls/b/c/3.txt', 'ls/ba.txt'],
      );
      const top = await store.list('ls/', { delimiter: '/' });
      assert.deepEqual(
        top.objects.map((o) => o.key),
        ['ls/a.txt', 'ls/ba.txt'],
      );
      assert.deepEqual(top.prefixes, ['ls/b/', 'ls/c/']);
      const sub = await store.list('ls/b/', { delimiter: '/' });
      assert.deepEqual(
        sub.objects.map((o) => o.key),
        ['ls/b/1.txt', 'ls/b/2.txt'],
      );
      assert.deepEqual(sub.prefixes, ['ls/b/c/']);
      assert.deepEqual(await store.list('ls/none/'), { objects: [], prefixes: [] });
    });

    it('lists more than 1000 keys (pagination) and deletes them in one call', async () => {
      const keys = Array.from({ length: 1100 }, (_, i) => `many/k${String(i).padStart(4, '0')}`);
      await withConcurrency(keys, 16, (k) => store.put(k, Buffer.from(k)));
      const listed = await store.list('many/');
      assert.equal(listed.objects.length, 1100);
      assert.deepEqual(
        listed.objects.map((o) => o.key),
        keys,
      );
      const root = await store.list('', { delimiter: '/' });
      assert.ok(root.prefixes.includes('many/'), `root prefixes: ${root.prefixes.join(',')}`);
      await store.delete(keys);
      assert.deepEqual((await store.list('many/')).objects, []);
    });

    it('deletes existing keys and ignores missing ones', async () => {
      await store.put('del/a', Buffer.from('a'));
      await store.put('del/b', Buffer.from('b'));
      await store.delete(['del/a', 'del/missing']);
      await store.delete([]);
      assert.equal(await store.head('del/a'), undefined);
      assert.equal((await store.getBuffer('del/b')).toString(), 'b');
    });

    it('an aborted put leaves no object (before, while reading, during multipart)', async () => {
      const pre = new AbortController();
      pre.abort();
      await assert.rejects(store.put('ab/pre', Buffer.from('x'), { signal: pre.signal }), (e) =>
        isPgdrError(e, 'ABORTED'),
      );
      await assertAbsent(store, 'ab/pre');

      for (const [key, bytes] of [
        ['ab/small', 64 * 1024],
        ['ab/multipart', 7 * MIB],
      ] as const) {
        const ac = new AbortController();
        let stalled: () => void = () => undefined;
        const reached = new Promise<void>((resolve) => {
          stalled = resolve;
        });
        const body = streamThen(bytes, () => {
          stalled();
          return new Promise<void>(() => undefined);
        });
        const put = store.put(key, body, { signal: ac.signal });
        await reached;
        // Lets the parts already cut reach the store before the abort.
        await new Promise((r) => setTimeout(r, 200));
        ac.abort();
        await assert.rejects(put, (e) => isPgdrError(e, 'ABORTED'));
        await assertAbsent(store, key);
      }
    });

    it('a body stream that fails midway leaves no object (single part and multipart)', async () => {
      for (const [key, bytes] of [
        ['se/small', 100 * 1024],
        ['se/multipart', 11 * MIB],
      ] as const) {
        const body = streamThen(bytes, async () => {
          throw new Error('source failed');
        });
        await assert.rejects(store.put(key, body), /source failed/);
        await assertAbsent(store, key);
      }
      assert.deepEqual(await store.list('se/'), { objects: [], prefixes: [] });
    });
  });
}

conformance('FsObjectStore (temporary folder)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pgdr-conformance-'));
  return {
    store: new FsObjectStore(dir),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

conformance('S3ObjectStore (s3rver, bucket root)', async () => ({
  store: s3Store('conformance-root', ''),
  cleanup: async () => undefined,
}));

conformance('S3ObjectStore (s3rver, prefix cnpg/mastodon)', async () => ({
  store: s3Store('conformance-nested', 'cnpg/mastodon'),
  cleanup: async () => undefined,
}));

// Resumed downloads (ranged GETs after a reset) must be invisible: the whole contract holds through them.
let resetting: FaultProxy;
conformance('S3ObjectStore (s3rver, every download reset once after 200 KiB)', async () => {
  resetting = await startFaultProxy(s3.port);
  resetting.setRules([
    {
      method: 'GET',
      path: /^\/conformance-reset\/[^?]+$/,
      ranged: false,
      times: 1,
      perPath: true,
      action: { kind: 'reset', afterBytes: 200 * 1024 },
    },
  ]);
  return {
    store: s3Store('conformance-reset', 'p', resetting.endpoint),
    cleanup: async () => {
      const resumed = resetting.requests.filter((r) => r.range !== undefined);
      await resetting.close();
      assert.ok(resumed.length >= 2, 'downloads were broken off and resumed');
    },
  };
});

conformance('GcsObjectStore (GCS fake, bucket root)', async () => ({
  store: gcsStore('gcs-root', ''),
  cleanup: async () => {
    // Every storage call carried a token the fake issued; listings came in many pages; no session was left.
    assert.ok(gcs.tokens.tokenRequests >= 1);
    assert.ok(
      gcs.requests.some((r) => r.query.has('pageToken')),
      'listings were paginated',
    );
    assert.ok(
      gcs.requests.some((r) => r.contentRange?.endsWith('/*')),
      'resumable chunks were sent',
    );
    assert.equal(gcs.openSessions(), 0, 'no upload session is left open');
  },
}));

conformance('GcsObjectStore (GCS fake, prefix cnpg/mastodon)', async () => ({
  store: gcsStore('gcs-nested', 'cnpg/mastodon'),
  cleanup: async () => undefined,
}));

let gcsResetting: FaultProxy;
conformance('GcsObjectStore (GCS fake, every download reset once after 200 KiB)', async () => {
  gcsResetting = await startFaultProxy(gcs.port);
  gcsResetting.setRules([
    {
      method: 'GET',
      path: /^\/storage\/v1\/b\/gcs-reset\/o\/.+alt=media/,
      ranged: false,
      times: 1,
      perPath: true,
      action: { kind: 'reset', afterBytes: 200 * 1024 },
    },
  ]);
  return {
    store: gcsStore('gcs-reset', 'p', gcsResetting.endpoint),
    cleanup: async () => {
      const resumed = gcsResetting.requests.filter((r) => r.range !== undefined);
      await gcsResetting.close();
      assert.ok(resumed.length >= 2, 'downloads were broken off and resumed');
    },
  };
});

conformance('AzureObjectStore (Azurite, shared key, container root)', async () => ({
  store: azureStore('conformance-root', ''),
  cleanup: async () => undefined,
}));

conformance('AzureObjectStore (Azurite, SAS token, prefix cnpg/mastodon)', async () => ({
  store: azureStore('conformance-nested', 'cnpg/mastodon', true),
  cleanup: async () => undefined,
}));

let azureResetting: FaultProxy;
conformance('AzureObjectStore (Azurite, every download reset once after 200 KiB)', async () => {
  azureResetting = await startFaultProxy(azurite.port);
  azureResetting.setRules([
    {
      method: 'GET',
      path: /^\/pgdrtest\/conformance-reset\/[^?]+$/,
      ranged: false,
      times: 1,
      perPath: true,
      action: { kind: 'reset', afterBytes: 200 * 1024 },
    },
  ]);
  return {
    store: azureStore('conformance-reset', 'p', false, `${azureResetting.endpoint}/${azurite.account}`),
    cleanup: async () => {
      const resumed = azureResetting.requests.filter((r) => r.range !== undefined);
      await azureResetting.close();
      assert.ok(resumed.length >= 2, 'downloads were broken off and resumed');
    },
  };
});

describe('S3ObjectStore prefix layout', () => {
  it('stores keys under PREFIX/<key> and lists them relative to it', async () => {
    const nested = s3Store('conformance-nested', '/cnpg//mastodon/');
    const raw = s3Store('conformance-nested', '');
    try {
      await nested.put('layout/x.txt', Buffer.from('x'));
      assert.equal((await raw.getBuffer('cnpg/mastodon/layout/x.txt')).toString(), 'x');
      assert.deepEqual(
        (await nested.list('layout/')).objects.map((o) => o.key),
        ['layout/x.txt'],
      );
      assert.deepEqual((await raw.list('', { delimiter: '/' })).prefixes, ['cnpg/']);
      assert.equal(nested.displayUrl, `s3://conformance-nested/cnpg/mastodon at ${s3.endpoint}`);
    } finally {
      await nested.close();
      await raw.close();
    }
  });
});
