// AWS Signature Version 4 for S3 requests (header-based signing only). Kept free of I/O so it can be checked
// against the published AWS test vectors (test/unit/sigv4.test.ts).
import { createHash, createHmac } from 'node:crypto';
import type { S3Credentials } from '../../config/types.js';

export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export interface SignInput {
  readonly method: string;
  /** The Host header exactly as sent (with the port when it is not the default one). */
  readonly host: string;
  /** The request path, already URI-encoded the way it goes on the wire (see encodePath). */
  readonly path: string;
  /** Unencoded query parameters; encoded and sorted here. */
  readonly query: ReadonlyArray<readonly [string, string]>;
  /** Headers to sign besides host, x-amz-date, x-amz-content-sha256 and x-amz-security-token. */
  readonly headers: Readonly<Record<string, string>>;
  /** Hex SHA-256 of the payload, or UNSIGNED-PAYLOAD. */
  readonly payloadHash: string;
  readonly region: string;
  readonly service?: string;
  readonly credentials: S3Credentials;
  readonly now: Date;
}

export interface Signed {
  /** Every header to send, including the signed ones and Authorization (lower-case names). */
  readonly headers: Record<string, string>;
  readonly signature: string;
  readonly canonicalRequest: string;
  readonly stringToSign: string;
}

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

/** RFC 3986 encoding as SigV4 defines it: everything but A-Z a-z 0-9 - . _ ~ is percent-encoded per UTF-8 byte. */
export function uriEncode(value: string, encodeSlash = true): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    if (isUnreserved(byte) || (byte === 0x2f && !encodeSlash)) out += String.fromCharCode(byte);
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function isUnreserved(b: number): boolean {
  return (
    (b >= 0x41 && b <= 0x5a) ||
    (b >= 0x61 && b <= 0x7a) ||
    (b >= 0x30 && b <= 0x39) ||
    b === 0x2d ||
    b === 0x2e ||
    b === 0x5f ||
    b === 0x7e
  );
}

/** An object path for the wire and for signing: S3 wants each segment encoded once and '/' kept. */
export function encodePath(rawPath: string): string {
  return uriEncode(rawPath, false);
}

/** Sorted by encoded name, then value, as SigV4 requires; also used verbatim as the wire query string. */
export function canonicalQuery(query: ReadonlyArray<readonly [string, string]>): string {
  return query
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort((a, b) => (a[0] === b[0] ? cmp(a[1], b[1]) : cmp(a[0], b[0])))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function amzDate(now: Date): string {
  return now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

export function signV4(input: SignInput): Signed {
  const { credentials } = input;
  const date = amzDate(input.now);
  const day = date.slice(0, 8);
  const service = input.service ?? 's3';
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(input.headers)) headers[k.toLowerCase()] = v;
  headers.host = input.host;
  headers['x-amz-date'] = date;
  headers['x-amz-content-sha256'] = input.payloadHash;
  if (credentials.sessionToken) headers['x-amz-security-token'] = credentials.sessionToken;

  const names = Object.keys(headers).sort();
  const canonicalHeaders = names
    .map((n) => `${n}:${String(headers[n]).trim().replace(/ +/g, ' ')}\n`)
    .join('');
  const signedHeaders = names.join(';');
  const canonicalRequest = [
    input.method,
    input.path,
    canonicalQuery(input.query),
    canonicalHeaders,
    signedHeaders,
    input.payloadHash,
  ].join('\n');
  const scope = `${day}/${input.region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', date, scope, sha256Hex(canonicalRequest)].join('\n');
  const key = hmac(
    hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, day), input.region), service),
    'aws4_request',
  );
  const signature = createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
  headers.authorization =
    `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, ` +
    `SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return { headers, signature, canonicalRequest, stringToSign };
}
