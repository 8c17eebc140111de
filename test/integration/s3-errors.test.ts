// How the S3 driver fails: every failure a user can meet maps to a PgdrError code with a hint, never leaks a
// secret, and an outage in the middle of a multipart upload leaves nothing behind.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { S3Credentials } from '../../src/config/types.js';
import { S3ObjectStore, type S3StoreOptions } from '../../src/storage/s3/s3-store.js';
import { caught, visible } from '../helpers/caught.js';
import { type S3rverHandle, startS3rver } from '../helpers/s3rver.js';

const MIB = 1024 * 1024;
const BUCKET = 'errors';

let s3: S3rverHandle;
const stores: S3ObjectStore[] = [];
before(async () => {
  s3 = await startS3rver({ buckets: [BUCKET] });
});
after(async () => {
  for (const s of stores) await s.close();
  await s3?.stop();
});

function open(
  options: Partial<S3StoreOptions> & { credentials?: S3Credentials | undefined } = {},
): S3ObjectStore {
  const store = new S3ObjectStore({
    bucket: BUCKET,
    endpoint: s3.endpoint,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    retryBaseMs: 20,
    ...options,
  });
  stores.push(store);
  return store;
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const address = srv.address();
  await new Promise<void>((r) => srv.close(() => r()));
  return typeof address === 'object' && address ? address.port : 0;
}

describe('S3ObjectStore errors', () => {
  it('an endpoint nobody listens on gives STORE_UNREACHABLE naming the endpoint', async () => {
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    const started = Date.now();
    const e = await caught(open({ endpoint }).checkAccess());
    assert.equal(e.code, 'STORE_UNREACHABLE');
    assert.match(e.hint ?? '', /objectStore\.endpointURL/);
    assert.ok((e.hint ?? '').includes(endpoint), e.hint);
    assert.equal(e.details?.errno, 'ECONNREFUSED');
    assert.ok(Date.now() - started < 5000, 'retries are bounded');
  });

  // The calls below run one at a time: a rejection must have its handler before it happens, or node reports an
  // unhandledRejection and fails the test (it did, once, in CI).
  it('a wrong secret gives STORE_AUTH (the test server verifies SigV4) and never shows the secret', async () => {
    const secret = `wrong-secret-${randomBytes(8).toString('hex')}`;
    const sessionToken = `session-token-${randomBytes(8).toString('hex')}`;
    const store = open({
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: secret, sessionToken },
    });
    const calls = [
      () => store.checkAccess(),
      () => store.put('k', Buffer.from('x')),
      () => store.getBuffer('k'),
      () => store.list(''),
    ];
    for (const call of calls) {
      const e = await caught(call());
      assert.equal(e.code, 'STORE_AUTH');
      assert.match(e.hint ?? '', /AWS_ACCESS_KEY_ID\/AWS_SECRET_ACCESS_KEY or objectStore\.s3Credentials/);
      assert.equal(e.details?.s3Code, 'SignatureDoesNotMatch');
      const text = visible(e);
      for (const s of [secret, sessionToken, s3.secretAccessKey])
        assert.ok(!text.includes(s), `leaked ${s}: ${text}`);
      // The server echoes the signature it was sent (SignatureProvided), as real S3 does.
      assert.doesNotMatch(text, /[0-9a-f]{64}/);
    }
    assert.ok(!store.displayUrl.includes(secret));
  });

  it('an unknown access key gives STORE_AUTH', async () => {
    const e = await caught(
      open({ credentials: { accessKeyId: 'NOSUCHKEY', secretAccessKey: 'irrelevant-secret' } }).checkAccess(),
    );
    assert.equal(e.code, 'STORE_AUTH');
    assert.equal(e.details?.s3Code, 'InvalidAccessKeyId');
    assert.ok(!visible(e).includes('irrelevant-secret'));
  });

  it('the right secret with a session token is accepted (the token is signed)', async () => {
    const store = open({
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, sessionToken: 'tok' },
    });
    await store.put('token/ok', Buffer.from('ok'));
    assert.equal((await store.getBuffer('token/ok')).toString(), 'ok');
  });

  it('a missing bucket gives BUCKET_MISSING with a hint', async () => {
    const store = open({ bucket: 'no-such-bucket' });
    const calls = [() => store.checkAccess(), () => store.put('k', Buffer.from('x')), () => store.list('')];
    for (const call of calls) {
      const e = await caught(call());
      assert.equal(e.code, 'BUCKET_MISSING');
      assert.match(e.hint ?? '', /create the bucket no-such-bucket or fix objectStore\.destinationPath/);
    }
  });

  it('missing credentials give CONFIG_INVALID on first use', async () => {
    const store = open({ credentials: undefined });
    const e = await caught(store.checkAccess());
    assert.equal(e.code, 'CONFIG_INVALID');
    assert.match(e.hint ?? '', /AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or objectStore\.s3Credentials/);
  });

  it('retries 5xx answers, and reports STORE_ERROR with the S3 code once attempts run out', async () => {
    const store = open({ maxAttempts: 4 });
    s3.injectFailures(3);
    await store.put('retry/ok', Buffer.from('after three 503s'));
    assert.equal((await store.getBuffer('retry/ok')).toString(), 'after three 503s');
    s3.injectFailures(4, 500);
    const e = await caught(store.getBuffer('retry/ok'));
    assert.equal(e.code, 'STORE_ERROR');
    assert.equal(e.details?.status, 500);
    assert.equal(e.details?.s3Code, 'SlowDown');
    assert.match(e.message, /SlowDown \(HTTP 500\)/);
  });

  it('displayUrl names bucket, prefix and custom endpoint only', () => {
    const store = S3ObjectStore.fromConfig({
      destinationPath: 's3://bkt/cnpg/mastodon/',
      endpointURL: 'https://user:pass@minio.example:9000',
      region: 'eu-west-1',
      forcePathStyle: true,
      s3Credentials: { accessKeyId: 'AKIA', secretAccessKey: 'the-secret' },
      wal: { compression: 'gzip', maxParallel: 1 },
      data: { compression: 'gzip', jobs: 1, immediateCheckpoint: false },
    });
    stores.push(store);
    assert.equal(store.displayUrl, 's3://bkt/cnpg/mastodon at https://minio.example:9000');
    const aws = new S3ObjectStore({ bucket: 'bkt', region: 'eu-west-1' });
    stores.push(aws);
    assert.equal(aws.displayUrl, 's3://bkt');
  });

  it('a server stopped mid multipart upload: put rejects, no object after restart, a new put succeeds', async () => {
    const store = open({ partSize: 5 * MIB, maxAttempts: 3 });
    const key = 'outage/big.bin';
    const uploads = join(s3.dir, BUCKET, '._S3rver_uploads');
    async function* body(): AsyncGenerator<Buffer> {
      for (let i = 0; i < 6; i++) yield randomBytes(MIB);
      // Part 1 was cut at 6 MiB: wait until the server stored it, so the outage really hits an open upload.
      const deadline = Date.now() + 10_000;
      while (!partStored(uploads) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.ok(partStored(uploads), 'part 1 reached the server');
      await s3.stop({ keepData: true });
      for (let i = 0; i < 6; i++) yield randomBytes(MIB);
    }
    const e = await caught(store.put(key, Readable.from(body(), { objectMode: false })));
    assert.equal(e.code, 'STORE_UNREACHABLE');
    await s3.restart();
    assert.equal(await store.head(key), undefined);
    assert.deepEqual((await store.list('outage/')).objects, []);
    const data = randomBytes(11 * MIB);
    await store.put(key, Readable.from([data]));
    assert.ok((await store.getBuffer(key)).equals(data));
  });
});

function partStored(uploads: string): boolean {
  if (!existsSync(uploads)) return false;
  return readdirSync(uploads).some((id) => existsSync(join(uploads, id, '1.md5')));
}
