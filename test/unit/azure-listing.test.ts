// What the Azure driver does with listings it cannot trust, served by a small loopback server that answers each
// List Blobs request with a canned page: a page pgdr half understands is STORE_ERROR naming the listing, never
// a silently shorter list (a missing WAL segment or backup) and never a loop.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { isPgdrError } from '../../src/errors.js';
import { AzureObjectStore } from '../../src/storage/azure/azure-store.js';
import { MAX_XML_CHARS } from '../../src/storage/s3/s3-xml.js';
import { caught } from '../helpers/caught.js';

let page: (marker: string | null) => string = () => '';
let server: Server;
let service = '';

before(async () => {
  server = createServer((req, res) => {
    const marker = new URL(req.url ?? '/', 'http://x').searchParams.get('marker');
    res.writeHead(200, { 'content-type': 'application/xml' }).end(page(marker));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  service = `http://127.0.0.1:${(server.address() as AddressInfo).port}/acct`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

function store(prefix = ''): AzureObjectStore {
  const credentials = { kind: 'sas' as const, sasToken: 'sv=2021-12-02&sig=x', source: 'test' };
  return new AzureObjectStore({ service, container: 'c01', prefix, credentials, maxAttempts: 1 });
}

const blob = (name: string, size = '1', date = 'Wed, 04 Dec 2024 10:00:00 GMT', attrs = '') =>
  `<Blob><Name${attrs}>${name}</Name><Properties><Last-Modified>${date}</Last-Modified><Content-Length>${size}</Content-Length></Properties></Blob>`;
const doc = (blobs: string, next = '') =>
  `<?xml version="1.0" encoding="utf-8"?><EnumerationResults ContainerName="c01"><Blobs>${blobs}</Blobs><NextMarker>${next}</NextMarker></EnumerationResults>`;

describe('Azure listings', () => {
  it('reads pages by marker, prefixes, and percent-encoded names', async () => {
    page = (m) =>
      m === null
        ? doc(`${blob('p/a')}<BlobPrefix><Name>p/d/</Name></BlobPrefix>`, 'm1')
        : doc(blob('p/b%01c', '2', undefined, ' Encoded="true"'));
    const r = await store('p').list('', { delimiter: '/' });
    assert.deepEqual(
      r.objects.map((o) => [o.key, o.size]),
      [
        ['a', 1],
        ['b\u0001c', 2],
      ],
    );
    assert.deepEqual(r.prefixes, ['d/']);
  });

  it('refuses a bad size, a bad date, a nameless blob, an answer that is no listing, an oversized page', async () => {
    const cases: Array<[string, RegExp]> = [
      [doc(blob('k', '-1')), /blob k has the size '-1'/],
      [doc(blob('k', '99999999999999999')), /blob k has the size/],
      [doc(blob('k', '1', 'yesterday')), /blob k has the date 'yesterday'/],
      [doc('<Blob><Properties></Properties></Blob>'), /a blob without a Name/],
      [doc(blob('%E0%A4%A', '1', undefined, ' Encoded="true"')), /the encoded name %E0%A4%A is malformed/],
      ['<html>login</html>', /it is not an EnumerationResults document/],
      [doc(blob('k')).padEnd(MAX_XML_CHARS + 1, ' '), /larger than/],
    ];
    for (const [body, why] of cases) {
      page = () => body;
      const e = await caught(store().list(''));
      assert.ok(isPgdrError(e, 'STORE_ERROR'), e.message);
      assert.match(
        e.message,
        /^List Blobs of http:\/\/127\.0\.0\.1:\d+\/acct\/c01\/: the storage account answered with a listing pgdr cannot read: /,
      );
      assert.match(e.message, why);
    }
  });

  it('a marker the service already gave ends the listing with STORE_ERROR', async () => {
    page = (m) => doc(blob(`k${m ?? ''}`), m === 'm2' ? 'm1' : m === 'm1' ? 'm2' : 'm1');
    const e = await caught(store().list(''));
    assert.match(e.message, /repeats a continuation marker/);
  });

  it('leaves out names outside the prefix and with . or .. segments', async () => {
    page = () => doc(`${blob('p/ok')}${blob('p/../escape')}${blob('other/x')}`);
    assert.deepEqual(
      (await store('p').list('')).objects.map((o) => o.key),
      ['ok'],
    );
  });
});
