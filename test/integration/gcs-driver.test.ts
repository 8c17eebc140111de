// The gs:// driver beyond the shared contract, against the loopback GCS fake (and the fault proxy in front of
// it): deadlines, retries, resumable uploads that resume after a broken chunk, tokens (cached, renewed,
// refused), the metadata server, hostile answers, and errors that never show a key or a token.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, beforeEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { GoogleCredentials } from '../../src/config/google.js';
import { GcsObjectStore, type GcsStoreOptions } from '../../src/storage/gcs/gcs-store.js';
import { caught, visible } from '../helpers/caught.js';
import { type FaultProxy, startFaultProxy } from '../helpers/fault-proxy.js';
import { type GcsFake, keyCredentials, startGcsFake } from '../helpers/gcs-fake.js';
import type { ServiceAccountKeyFile } from '../helpers/gcs-fake-auth.js';
import { assertStalledCalls } from '../helpers/stalled-store.js';

const BUCKET = 'gcs-driver';
const MIB = 1024 * 1024;
const KIB = 1024;

let fake: GcsFake;
let proxy: FaultProxy;
let key: ServiceAccountKeyFile;
const stores: GcsObjectStore[] = [];

before(async () => {
  fake = await startGcsFake({ buckets: [BUCKET] });
  proxy = await startFaultProxy(fake.port);
  key = fake.serviceAccount();
});
after(async () => {
  for (const s of stores) await s.close();
  await proxy?.close();
  await fake?.close();
});
beforeEach(() => {
  proxy.setRules([]);
  fake.requests.length = 0;
  fake.tokens.lifetimeSeconds = 3600;
});

function open(o: Partial<GcsStoreOptions> = {}): GcsObjectStore {
  const store = new GcsObjectStore({
    bucket: BUCKET,
    endpoint: fake.endpoint,
    credentials: keyCredentials(key),
    chunkSize: MIB,
    retryBaseMs: 20,
    ...o,
  });
  stores.push(store);
  return store;
}

/** No private key line, signed assertion or issued token in the text. */
function assertNoSecret(text: string, keys: readonly ServiceAccountKeyFile[] = [key]): void {
  for (const k of keys)
    for (const l of k.private_key.split('\n').filter((x) => x.length > 20))
      assert.ok(!text.includes(l), `key leaked: ${text}`);
  for (const t of fake.tokens.issued.keys()) assert.ok(!text.includes(t), `token leaked: ${text}`);
  assert.doesNotMatch(text, /eyJ[\w-]{10,}\.eyJ/, 'a signed assertion leaked');
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const chunkPuts = () => fake.requests.filter((r) => r.method === 'PUT' && r.query.has('upload_id'));

describe('gs:// driver: deadlines and retries', () => {
  it('a stalled endpoint: every call ends with STORE_UNREACHABLE naming the call, key and deadline', async () => {
    proxy.setRules([{ action: { kind: 'stall' } }]);
    const store = open({ endpoint: proxy.endpoint, timeouts: { requestMs: 500 }, maxAttempts: 2 });
    const names = {
      list: 'objects.list',
      get: 'objects.get',
      head: 'objects.get (metadata)',
      put: 'objects.insert',
    };
    await assertStalledCalls(store, names, {
      where: `gs://${BUCKET}/`,
      endpoint: proxy.endpoint,
      more: (e) => assertNoSecret(visible(e)),
    });
  });

  it('a stalled metadata server: STORE_UNREACHABLE naming the token request and the deadline', async () => {
    proxy.setRules([{ path: /^\/computeMetadata\//, action: { kind: 'stall' } }]);
    const host = new URL(proxy.endpoint).host;
    const credentials: GoogleCredentials = { kind: 'metadata', host, source: 'the metadata server' };
    const e = await caught(open({ credentials, timeouts: { requestMs: 500 }, maxAttempts: 2 }).checkAccess());
    assert.equal(e.code, 'STORE_UNREACHABLE', e.message);
    assert.match(
      e.message,
      /^access token request on http:\/\/127\.0\.0\.1:\d+\/computeMetadata\/v1\/instance\/service-accounts\/default\/token: no answer from .* within 0\.5 s \(objectStore\.timeouts\.request\), after 2 attempts$/,
    );
  });

  it('retries 5xx answers, and reports STORE_ERROR with the reason once attempts run out', async () => {
    const store = open({ maxAttempts: 4 });
    fake.failNext(3);
    await store.put('retry/ok', Buffer.from('after three 503s'));
    assert.equal((await store.getBuffer('retry/ok')).toString(), 'after three 503s');
    fake.failNext(4, 500);
    const e = await caught(store.getBuffer('retry/ok'));
    assert.equal(e.code, 'STORE_ERROR');
    assert.equal(e.details?.status, 500);
    assert.match(
      e.message,
      /^objects\.get on gs:\/\/gcs-driver\/retry\/ok failed: backendError \(HTTP 500\)/,
    );
    fake.failNext(0);
  });

  it('a resumable upload whose chunk broke off asks the session and goes on from the byte it holds', async () => {
    const store = open();
    const data = randomBytes(3 * MIB + 100 * KIB);
    fake.breakChunks(1, 768 * KIB);
    await store.put('resume/broken.bin', Readable.from([data.subarray(0, MIB + 5), data.subarray(MIB + 5)]));
    assert.equal(sha(await store.getBuffer('resume/broken.bin')), sha(data));
    // The fake logs answered requests: the first chunk broke off unanswered, with 768 KiB of it stored.
    const ranges = chunkPuts().map((r) => r.contentRange);
    assert.deepEqual(ranges, [
      'bytes */*',
      `bytes ${768 * KIB}-${MIB - 1}/*`,
      `bytes ${MIB}-${2 * MIB - 1}/*`,
      `bytes ${2 * MIB}-${3 * MIB - 1}/*`,
      `bytes ${3 * MIB}-${data.length - 1}/${data.length}`,
    ]);
  });

  it('a session that keeps less than a chunk is sent the rest of it', async () => {
    const store = open();
    const data = randomBytes(2 * MIB + 1);
    fake.shortChunks(1, 256 * KIB);
    await store.put('resume/short.bin', Readable.from([data]));
    assert.equal(sha(await store.getBuffer('resume/short.bin')), sha(data));
    assert.deepEqual(
      chunkPuts().map((r) => r.contentRange),
      [
        `bytes 0-${MIB - 1}/*`,
        `bytes ${256 * KIB}-${MIB - 1}/*`,
        `bytes ${MIB}-${2 * MIB - 1}/*`,
        `bytes ${2 * MIB}-${2 * MIB}/${2 * MIB + 1}`,
      ],
    );
  });

  it('a download whose object is rewritten while it resumes fails with STORE_ERROR, never mixing versions', async () => {
    const store = open();
    await store.put('dl/changing.bin', randomBytes(2 * MIB));
    proxy.setRules([
      {
        method: 'GET',
        path: /changing\.bin\?alt=media/,
        ranged: false,
        times: 1,
        action: { kind: 'reset', afterBytes: 300 * KIB },
        onFault: () => store.put('dl/changing.bin', randomBytes(2 * MIB)),
      },
    ]);
    const viaProxy = open({ endpoint: proxy.endpoint });
    const body = await viaProxy.get('dl/changing.bin');
    const e = await caught(
      (async () => {
        for await (const _ of body) await sleep(1);
      })(),
    );
    assert.equal(e.code, 'STORE_ERROR');
    assert.match(
      e.message,
      /object gs:\/\/gcs-driver\/dl\/changing\.bin changed .* while it was being downloaded/,
    );
  });
});

describe('gs:// driver: tokens', () => {
  it('one token serves many calls; a token the API refuses (401) is replaced once', async () => {
    const store = open();
    const before = fake.tokens.tokenRequests;
    for (let i = 0; i < 5; i++) await store.put(`tok/${i}`, Buffer.from(String(i)));
    assert.equal(fake.tokens.tokenRequests - before, 1);
    fake.tokens.expireAll();
    assert.equal((await store.getBuffer('tok/3')).toString(), '3');
    assert.equal(fake.tokens.tokenRequests - before, 2);
    assert.equal(fake.requests.filter((r) => r.status === 401).length, 1);
  });

  it('a short-lived token is renewed before it expires, without a refused request', async () => {
    fake.tokens.lifetimeSeconds = 2;
    const store = open();
    const before = fake.tokens.tokenRequests;
    await store.put('tok/short', Buffer.from('x'));
    await sleep(1500);
    await store.getBuffer('tok/short');
    assert.equal(fake.tokens.tokenRequests - before, 2);
    assert.equal(fake.requests.filter((r) => r.status === 401).length, 0);
  });

  it('a key whose signature the token endpoint rejects gives STORE_AUTH, and shows no key', async () => {
    const other = fake.serviceAccount('other@pgdr-test.iam.gserviceaccount.com');
    const forged = keyCredentials({ ...key, private_key: other.private_key });
    const e = await caught(open({ credentials: forged }).checkAccess());
    assert.equal(e.code, 'STORE_AUTH');
    assert.match(
      e.message,
      /token endpoint http:\/\/127\.0\.0\.1:\d+ refused the service-account key of pgdr-backup@.* \(HTTP 400, invalid_grant: Invalid JWT Signature\.\)/,
    );
    assert.match(e.hint ?? '', /deleted or disabled/);
    assertNoSecret(visible(e), [key, other]);
  });

  it('a service account without access to the bucket gives STORE_AUTH naming the credentials, not the token', async () => {
    const denied = fake.serviceAccount('denied@pgdr-test.iam.gserviceaccount.com');
    fake.forbidden.add(denied.client_email);
    const store = open({ credentials: keyCredentials(denied) });
    for (const call of [
      () => store.checkAccess(),
      () => store.put('k', Buffer.from('x')),
      () => store.getBuffer('k'),
    ]) {
      const e = await caught(call());
      assert.equal(e.code, 'STORE_AUTH');
      assert.match(
        e.hint ?? '',
        /check the credentials \(the test key of denied@.*\): the service account needs read and write access/,
      );
      assertNoSecret(visible(e), [denied]);
    }
  });

  it('gkeEnvironment: tokens from the metadata server (Metadata-Flavor: Google), the account named', async () => {
    const metadata: GoogleCredentials = {
      kind: 'metadata',
      host: `127.0.0.1:${fake.port}`,
      source: 'the metadata server (gkeEnvironment)',
    };
    const store = open({ credentials: metadata });
    const before = fake.tokens.metadataRequests;
    await store.put('gke/x', Buffer.from('from the node'));
    assert.equal((await store.getBuffer('gke/x')).toString(), 'from the node');
    assert.equal(
      await store.credentialSource(),
      'the metadata server (gkeEnvironment) as pgdr-node@pgdr-test.iam.gserviceaccount.com',
    );
    assert.ok(fake.tokens.metadataRequests - before >= 2);
    fake.metadataEmail = undefined;
    try {
      const e = await caught(open({ credentials: metadata }).checkAccess());
      assert.equal(e.code, 'STORE_AUTH');
      assert.match(e.message, /the metadata server 127\.0\.0\.1:\d+ gave no access token \(HTTP 404/);
      assert.match(e.hint ?? '', /Workload Identity/);
    } finally {
      fake.metadataEmail = 'pgdr-node@pgdr-test.iam.gserviceaccount.com';
    }
  });

  it('an emulator (STORAGE_EMULATOR_HOST, no credentials) is called without Authorization', async () => {
    fake.anonymous = true;
    try {
      const store = open({
        credentials: { kind: 'anonymous', source: 'none: the emulator of STORAGE_EMULATOR_HOST' },
      });
      await store.put('anon/x', Buffer.from('x'));
      assert.equal((await store.getBuffer('anon/x')).toString(), 'x');
      assert.ok(fake.requests.length > 0 && fake.requests.every((r) => r.authorization === undefined));
    } finally {
      fake.anonymous = false;
    }
  });
});

describe('gs:// driver: refusals and hostile answers', () => {
  it('a missing bucket gives BUCKET_MISSING with a hint', async () => {
    const store = open({ bucket: 'no-such-bucket' });
    for (const call of [
      () => store.checkAccess(),
      () => store.put('k', Buffer.from('x')),
      () => store.list(''),
      () => store.head('k'),
      () => store.getBuffer('k'),
    ]) {
      const e = await caught(call());
      assert.equal(e.code, 'BUCKET_MISSING', e.message);
      assert.match(e.hint ?? '', /create the bucket no-such-bucket or fix objectStore\.destinationPath/);
    }
  });

  it('missing credentials give CONFIG_INVALID on first use', async () => {
    const e = await caught(open({ credentials: undefined }).checkAccess());
    assert.equal(e.code, 'CONFIG_INVALID');
    assert.match(e.hint ?? '', /googleCredentials/);
  });

  it('malformed listings fail with STORE_ERROR naming the listing', async () => {
    const store = open();
    await store.put('hostile/a', Buffer.from('a'));
    const cases: Array<[(p: Record<string, unknown>) => unknown, RegExp]> = [
      [
        (p) => ({ ...p, items: [{ name: 'hostile/a', size: 'lots', updated: '2024-01-01T00:00:00Z' }] }),
        /has no valid size/,
      ],
      [
        (p) => ({ ...p, items: [{ size: '1', updated: '2024-01-01T00:00:00Z' }] }),
        /an object without a name/,
      ],
      [(p) => ({ ...p, items: { name: 'x' } }), /items is not a list/],
      [(p) => ({ ...p, nextPageToken: 'same' }), /repeats a page token/],
      [() => 'not an object', /not a JSON object/],
    ];
    try {
      for (const [tamper, want] of cases) {
        fake.tamperList = tamper;
        const e = await caught(store.list('hostile/'));
        assert.equal(e.code, 'STORE_ERROR', e.message);
        assert.match(e.message, /^objects\.list of gs:\/\/gcs-driver\/hostile\//);
        assert.match(e.message, want);
      }
    } finally {
      fake.tamperList = undefined;
    }
  });

  it('a session URL on another address is refused: the token never goes there', async () => {
    fake.sessionOrigin = 'http://127.0.0.2:9';
    try {
      const e = await caught(open().put('hostile/big', Readable.from([randomBytes(2 * MIB)])));
      assert.equal(e.code, 'STORE_ERROR');
      assert.match(
        e.message,
        /resumable upload of gs:\/\/gcs-driver\/hostile\/big: the store gave no session URL on its own address/,
      );
    } finally {
      fake.sessionOrigin = undefined;
    }
    assert.equal(await open().head('hostile/big'), undefined);
  });
});
