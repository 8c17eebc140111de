// Fuzzing the S3 answers pgdr parses: a listing page is read whole or refused with STORE_ERROR; an error
// document or a DeleteObjects result is read as far as it goes and never throws; no input makes one hang.
import assert from 'node:assert/strict';
import { isAbsolute, join, relative } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { addressable } from '../../src/storage/list-pages.js';
import {
  escapeXml,
  parseDeleteFailures,
  parseError,
  parseListPage,
  parseUploadId,
} from '../../src/storage/s3/s3-xml.js';
import { fuzzRuns, fuzzTimeout, valueOrPgdrError } from '../helpers/fuzz-budget.js';

const TOKENS = [
  '<?xml version="1.0" encoding="UTF-8"?>',
  '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">',
  '</ListBucketResult>',
  '<Contents>',
  '</Contents>',
  '<Contents ',
  '<Key>',
  '</Key>',
  '<Key/>',
  '<Size>',
  '</Size>',
  '<LastModified>',
  '</LastModified>',
  '<CommonPrefixes>',
  '</CommonPrefixes>',
  '<Prefix>',
  '</Prefix>',
  '<IsTruncated>true</IsTruncated>',
  '<NextContinuationToken>',
  '</NextContinuationToken>',
  '<Error>',
  '</Error>',
  '<Code>',
  '</Code>',
  '<DeleteResult>',
  '<UploadId>',
  '</UploadId>',
  '<!-- ',
  ' -->',
  '&amp;',
  '&lt;',
  '&#65;',
  '&#x41;',
  '&#0;',
  '&#1114112;',
  '&#x110000;',
  '&#xD800;',
  '&#99999999999999999999;',
  '&#x0000000000041;',
  '&',
  '<',
  '>',
  '/',
  '..',
  '2024-12-15T06:00:00.000Z',
  'not a date',
  '42',
  '-1',
  '1e400',
  'srv/wals/0000000100000000/000000010000000000000001',
];

const xmlSoup = fc
  .array(fc.oneof(fc.constantFrom(...TOKENS), fc.string({ unit: 'binary', maxLength: 4 })), {
    maxLength: 80,
    size: 'max',
  })
  .map((parts) => parts.join(''));

/** Encodes some characters as character references, the way a server may choose to. */
function encodeText(text: string, asRef: readonly boolean[]): string {
  return [...text]
    .map((ch, i) =>
      asRef[i % Math.max(1, asRef.length)] ? `&#x${ch.codePointAt(0)!.toString(16)};` : escapeXml(ch),
    )
    .join('');
}

const listedObject = fc.record({
  key: fc.string({ unit: 'binary', minLength: 1, maxLength: 30, size: 'max' }),
  size: fc.maxSafeNat(),
  lastModified: fc.date({ noInvalidDate: true, min: new Date(0), max: new Date('9999-12-31T00:00:00Z') }),
});

/** Whether path p is dir itself or below it. */
function inside(dir: string, p: string): boolean {
  const rel = relative(dir, p);
  return rel !== '..' && !rel.startsWith('../') && !isAbsolute(rel);
}

describe('fuzz: S3 XML', () => {
  it('listing pages: read whole or STORE_ERROR', { timeout: fuzzTimeout(4) }, () => {
    fc.assert(
      fc.property(fc.oneof(xmlSoup, fc.string({ unit: 'binary', maxLength: 300, size: 'max' })), (xml) => {
        const page = valueOrPgdrError(() => parseListPage(xml, 'the listing'), ['STORE_ERROR']);
        for (const o of page?.objects ?? []) {
          assert.ok(o.key !== '');
          // The key goes into later requests: it must survive URL encoding.
          encodeURIComponent(o.key);
          assert.ok(Number.isSafeInteger(o.size) && o.size >= 0, `size ${o.size}`);
          assert.ok(!Number.isNaN(o.lastModified.getTime()));
        }
        for (const p of page?.prefixes ?? []) encodeURIComponent(p);
      }),
      fuzzRuns(6000, 4),
    );
  });

  it('a generated listing page reads back as written', { timeout: fuzzTimeout(2) }, () => {
    fc.assert(
      fc.property(
        fc.array(listedObject, { maxLength: 8, size: 'max' }),
        fc.array(fc.boolean(), { maxLength: 5 }),
        fc.option(fc.string({ minLength: 1, maxLength: 10, size: 'max' }), { nil: undefined }),
        (objects, asRef, token) => {
          const contents = objects
            .map(
              (o) =>
                `<Contents><Key>${encodeText(o.key, asRef)}</Key><LastModified>${o.lastModified.toISOString()}` +
                `</LastModified><ETag>&quot;x&quot;</ETag><Size>${o.size}</Size></Contents>`,
            )
            .join('');
          const tail =
            token === undefined
              ? '<IsTruncated>false</IsTruncated>'
              : `<IsTruncated>true</IsTruncated><NextContinuationToken>${escapeXml(token)}</NextContinuationToken>`;
          const page = parseListPage(
            `<?xml version="1.0"?><ListBucketResult>${contents}${tail}</ListBucketResult>`,
          );
          assert.deepStrictEqual(
            page.objects,
            objects.map((o) => ({ ...o })),
          );
          assert.equal(page.next, token);
        },
      ),
      fuzzRuns(1000),
    );
  });

  it('error documents and delete results never throw', { timeout: fuzzTimeout(2) }, () => {
    const wrapped = fc.oneof(
      fc.tuple(fc.constantFrom('Error', 'DeleteResult'), xmlSoup).map(([root, body]) => `<${root}>${body}`),
      fc
        .tuple(xmlSoup, xmlSoup)
        .map(([code, message]) => `<Error><Code>${code}</Code><Message>${message}</Message></Error>`),
      fc
        .tuple(xmlSoup, xmlSoup)
        .map(
          ([key, code]) =>
            `<DeleteResult><Error><Key>${key}</Key><Code>${code}</Code></Error></DeleteResult>`,
        ),
    );
    fc.assert(
      fc.property(fc.oneof(wrapped, xmlSoup), (xml) => {
        parseError(xml);
        for (const f of parseDeleteFailures(xml)) assert.equal(typeof f.key, 'string');
      }),
      fuzzRuns(4000),
    );
  });

  it('upload ids: a value or STORE_ERROR', { timeout: fuzzTimeout(1) }, () => {
    fc.assert(
      fc.property(xmlSoup, (xml) => {
        const id = valueOrPgdrError(() => parseUploadId(xml), ['STORE_ERROR']);
        if (id !== undefined) encodeURIComponent(id);
      }),
      fuzzRuns(2000, 1),
    );
  });

  it('a listed key pgdr keeps never leads outside the destination', { timeout: fuzzTimeout(1) }, () => {
    const segment = fc.oneof(
      fc.constantFrom('', '.', '..', 'wals', 'base', '/'),
      fc.string({ maxLength: 4 }),
    );
    const key = fc.array(segment, { maxLength: 6 }).map((s) => s.join('/'));
    fc.assert(
      fc.property(fc.constantFrom('', 'srv/', 'srv/wals/'), key, (wanted, rest) => {
        const k = wanted + rest;
        if (!addressable(k, wanted)) return;
        // As a file path below a root (file://), and as a URL path a proxy might resolve (s3://).
        const root = '/store/root';
        assert.ok(inside(root, join(root, ...k.split('/'))), `${k} resolves outside the root`);
        const base = join('/bucket', wanted);
        assert.ok(inside(base, join('/bucket', k)), `${k} resolves outside ${wanted}`);
      }),
      fuzzRuns(4000, 1),
    );
  });
});
