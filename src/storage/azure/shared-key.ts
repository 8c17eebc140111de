// Shared Key authorization of the Blob service (the string-to-sign of x-ms-version 2015-02-21 and later): an
// HMAC-SHA256 with the base64-decoded account key over the verb, the standard headers, the x-ms-* headers and
// the resource (/account/path plus the query parameters).
import { createHmac } from 'node:crypto';

export interface SignInput {
  readonly method: string;
  /** The encoded path as sent on the wire (with /ACCOUNT first on an emulator). */
  readonly path: string;
  readonly query: ReadonlyArray<readonly [string, string]>;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
}

const STANDARD = [
  'content-encoding',
  'content-language',
  'content-length',
  'content-md5',
  'content-type',
  'date',
  'if-modified-since',
  'if-match',
  'if-none-match',
  'if-unmodified-since',
  'range',
];

function stringToSign(account: string, s: SignInput): string {
  const standard = STANDARD.map((h) => {
    const v = s.headers[h] ?? '';
    // Since 2015-02-21 a zero Content-Length is signed as empty.
    return h === 'content-length' && v === '0' ? '' : v;
  });
  const ms = Object.keys(s.headers)
    .filter((h) => h.startsWith('x-ms-'))
    .sort()
    .map((h) => `${h}:${(s.headers[h] ?? '').replace(/\s+/g, ' ').trim()}\n`)
    .join('');
  const params = new Map<string, string[]>();
  for (const [k, v] of s.query) {
    const name = k.toLowerCase();
    params.set(name, [...(params.get(name) ?? []), v]);
  }
  const resource = [`/${account}${s.path}`]
    .concat([...params.keys()].sort().map((k) => `${k}:${(params.get(k) ?? []).sort().join(',')}`))
    .join('\n');
  return [s.method, ...standard].join('\n') + '\n' + ms + resource;
}

/** The Authorization header value. */
export function sharedKeyAuthorization(account: string, key: string, s: SignInput): string {
  const mac = createHmac('sha256', Buffer.from(key, 'base64')).update(stringToSign(account, s), 'utf8');
  return `SharedKey ${account}:${mac.digest('base64')}`;
}
