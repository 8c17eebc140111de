// The signer against the worked examples of the AWS documentation ("Signature Calculations for the
// Authorization Header: Transferring Payload in a Single Chunk", examplebucket, 20130524T000000Z).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalQuery, EMPTY_SHA256, sha256Hex, signV4, uriEncode } from '../../src/storage/s3/sigv4.js';

const credentials = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};
const common = {
  host: 'examplebucket.s3.amazonaws.com',
  region: 'us-east-1',
  credentials,
  now: new Date('2013-05-24T00:00:00Z'),
};

describe('sigv4', () => {
  it('signs the documented GET Object example (Range header)', () => {
    const s = signV4({
      ...common,
      method: 'GET',
      path: '/test.txt',
      query: [],
      headers: { range: 'bytes=0-9' },
      payloadHash: EMPTY_SHA256,
    });
    assert.equal(
      s.canonicalRequest,
      [
        'GET',
        '/test.txt',
        '',
        'host:examplebucket.s3.amazonaws.com',
        'range:bytes=0-9',
        `x-amz-content-sha256:${EMPTY_SHA256}`,
        'x-amz-date:20130524T000000Z',
        '',
        'host;range;x-amz-content-sha256;x-amz-date',
        EMPTY_SHA256,
      ].join('\n'),
    );
    assert.equal(
      s.stringToSign,
      'AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n' +
        '7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972',
    );
    assert.equal(s.signature, 'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41');
    assert.equal(
      s.headers.authorization,
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, ' +
        'SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, ' +
        'Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    );
  });

  it('signs the documented PUT Object example (encoded key, payload hash)', () => {
    const body = 'Welcome to Amazon S3.';
    assert.equal(sha256Hex(body), '44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072');
    const s = signV4({
      ...common,
      method: 'PUT',
      path: `/${uriEncode('test$file.text', false)}`,
      query: [],
      headers: { date: 'Fri, 24 May 2013 00:00:00 GMT', 'x-amz-storage-class': 'REDUCED_REDUNDANCY' },
      payloadHash: sha256Hex(body),
    });
    assert.match(s.canonicalRequest, /^PUT\n\/test%24file\.text\n/);
    assert.equal(s.signature, '98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd');
  });

  it('signs the documented GET Bucket Lifecycle example (valueless sub-resource)', () => {
    const s = signV4({
      ...common,
      method: 'GET',
      path: '/',
      query: [['lifecycle', '']],
      headers: {},
      payloadHash: EMPTY_SHA256,
    });
    assert.equal(s.signature, 'fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543');
  });

  it('signs the documented List Objects example (sorted query)', () => {
    const s = signV4({
      ...common,
      method: 'GET',
      path: '/',
      query: [
        ['prefix', 'J'],
        ['max-keys', '2'],
      ],
      headers: {},
      payloadHash: EMPTY_SHA256,
    });
    assert.equal(s.signature, '34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7');
  });

  it('encodes like RFC 3986, byte by byte', () => {
    assert.equal(uriEncode('a b+c/d~e_f.g-h*'), 'a%20b%2Bc%2Fd~e_f.g-h%2A');
    assert.equal(uriEncode('dir/ü ber', false), 'dir/%C3%BC%20ber');
    assert.equal(
      canonicalQuery([
        ['token', 'a+b/c='],
        ['delete', ''],
      ]),
      'delete=&token=a%2Bb%2Fc%3D',
    );
  });

  it('adds and signs the session token', () => {
    const s = signV4({
      ...common,
      credentials: { ...credentials, sessionToken: 'TOKEN/with+chars' },
      method: 'GET',
      path: '/',
      query: [],
      headers: {},
      payloadHash: EMPTY_SHA256,
    });
    assert.equal(s.headers['x-amz-security-token'], 'TOKEN/with+chars');
    assert.match(
      s.headers.authorization ?? '',
      /SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,/,
    );
  });
});
