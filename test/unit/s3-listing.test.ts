// What the S3 driver does with listings and error documents it cannot trust, served by a small loopback
// server that answers each request with a canned body: each case is one the parser fuzzing found or guards.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { isPgdrError, type PgdrError } from '../../src/errors.js';
import { S3ObjectStore } from '../../src/storage/s3/s3-store.js';
import {
  parseDeleteFailures,
  parseError,
  parseListPage,
  parseUploadId,
} from '../../src/storage/s3/s3-xml.js';
import { callWithin } from '../helpers/hang-guard.js';

type Answer = { status?: number; body: string };
let answer: (req: IncomingMessage, query: URLSearchParams) => Answer = () => ({ body: '' });
let server: Server;
let endpoint = '';

before(async () => {
  server = createServer((req, res) => {
    const a = answer(req, new URL(req.url ?? '/', 'http://x').searchParams);
    res.writeHead(a.status ?? 200, { 'content-type': 'application/xml' });
    res.end(a.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

function store(prefix = ''): S3ObjectStore {
  return new S3ObjectStore({
    bucket: 'b',
    prefix,
    endpoint,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'not-a-real-secret' },
    maxAttempts: 1,
  });
}

const object = (key: string, size = '1', date = '2024-12-15T06:00:00.000Z') =>
  `<Contents><Key>${key}</Key><LastModified>${date}</LastModified><Size>${size}</Size></Contents>`;
const page = (inner: string, token?: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult>${inner}<IsTruncated>${token !== undefined}</IsTruncated>` +
  `${token ? `<NextContinuationToken>${token}</NextContinuationToken>` : ''}</ListBucketResult>`;

async function listError(body: string): Promise<PgdrError> {
  answer = () => ({ body });
  const s = store('pre');
  try {
    await s.list('srv/wals/');
  } catch (e) {
    assert.ok(isPgdrError(e), `expected a PgdrError, got ${String(e)}`);
    return e;
  } finally {
    await s.close();
  }
  assert.fail('expected the listing to fail');
}

describe('S3 listings pgdr cannot trust', () => {
  for (const [what, body] of [
    ['a character reference beyond Unicode', page(object('pre/srv/wals/&#1114112;'))],
    ['a huge character reference', page(object('pre/srv/wals/&#99999999999999999999;'))],
    ['a surrogate character reference', page(object('pre/srv/wals/a&#xD800;'))],
    ['a size that is not a number', page(object('pre/srv/wals/a', 'abc'))],
    ['a negative size', page(object('pre/srv/wals/a', '-1'))],
    ['a date that is not a date', page(object('pre/srv/wals/a', '1', 'yesterday'))],
    ['an object without a key', page('<Contents><Size>1</Size></Contents>')],
    ['a truncated page without a token', page(object('pre/srv/wals/a')).replace('false', 'true')],
  ] as const) {
    it(`${what}: STORE_ERROR naming the listing`, async () => {
      const e = await listError(body);
      assert.equal(e.code, 'STORE_ERROR', e.message);
      assert.match(e.message, /^ListObjectsV2 of s3:\/\/b\/pre\/srv\/wals\/: .*listing pgdr cannot read/);
    });
  }

  it('a continuation token served twice: STORE_ERROR instead of listing for ever', {
    timeout: 30_000,
  }, async () => {
    answer = (_req, q) => ({
      body: page(object(`pre/srv/wals/${q.get('continuation-token') ?? 'a'}`), 'again'),
    });
    const s = store('pre');
    await assert.rejects(
      s.list('srv/wals/'),
      (e: unknown) => isPgdrError(e, 'STORE_ERROR') && /repeats/.test(e.message),
    );
    await s.close();
  });

  it('drops keys and prefixes with . or .. segments, and any outside the prefix asked for', async () => {
    answer = () => ({
      body: page(
        object('pre/srv/wals/ok') +
          object('pre/srv/wals/../../../etc/passwd') +
          object('pre/srv/wals/./x') +
          object('pre/other/y') +
          object('elsewhere') +
          '<CommonPrefixes><Prefix>pre/srv/wals/../</Prefix></CommonPrefixes>' +
          '<CommonPrefixes><Prefix>pre/srv/wals/d/</Prefix></CommonPrefixes>',
      ),
    });
    const s = store('pre');
    const listed = await s.list('srv/wals/', { delimiter: '/' });
    await s.close();
    assert.deepEqual(
      listed.objects.map((o) => o.key),
      ['srv/wals/ok'],
    );
    assert.deepEqual(listed.prefixes, ['srv/wals/d/']);
  });

  it('an error document with a bad character reference still maps by its status and code', async () => {
    answer = () => ({
      status: 403,
      body: '<?xml version="1.0"?><Error><Code>AccessDenied</Code><Message>no &#1114112;</Message></Error>',
    });
    const s = store();
    await assert.rejects(
      s.list(''),
      (e: unknown) => isPgdrError(e, 'STORE_AUTH') && /AccessDenied/.test(e.message),
    );
    await s.close();
  });
});

describe('S3 XML parsing', () => {
  it('reads error documents and delete failures leniently', () => {
    assert.deepEqual(parseError('<Error><Code>Slow&#xD800;Down</Code></Error>')?.code, 'Slow\uFFFDDown');
    assert.deepEqual(
      parseDeleteFailures('<DeleteResult><Error><Key>&#1114112;</Key><Code>X</Code></Error>'),
      [{ key: '\uFFFD', code: 'X', message: undefined }],
    );
  });

  it('refuses an upload id holding a bad character reference with STORE_ERROR', () => {
    assert.throws(
      () => parseUploadId('<InitiateMultipartUploadResult><UploadId>&#99999999999999999999;</UploadId>'),
      (e: unknown) => isPgdrError(e, 'STORE_ERROR') && /^CreateMultipartUpload: .*upload id/.test(e.message),
    );
    assert.equal(parseUploadId('<UploadId>a&amp;b</UploadId>'), 'a&b');
  });

  it('keeps control characters S3 writes as references (the key stays addressable)', () => {
    assert.equal(parseListPage(page(object('a&#x1;b'))).objects[0]?.key, 'a\u0001b');
  });

  it('scans a body of unclosed tags in linear time', async () => {
    const module = new URL('../../src/storage/s3/s3-xml.js', import.meta.url);
    for (const body of ['<Contents '.repeat(200_000), '<Contents><Key>'.repeat(200_000)]) {
      assert.deepEqual(await callWithin(60, module, 'parseListPage', [body]), { objects: [], prefixes: [] });
    }
    assert.deepEqual(await callWithin(60, module, 'parseError', ['<Error><Code>'.repeat(200_000)]), {});
  });
});
