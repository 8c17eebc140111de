// The s3rver process started by test/helpers/s3rver.ts (a child, so a test can kill it for an outage).
// s3rver 3.7 does not check SigV4 signatures (lib/middleware/authentication.js: "Signature version 4
// calculation is unimplemented"; only the access key id is looked up), so this process puts an independent
// SigV4 verifier in front of it, rebuilt from the request as received on the wire: a wrong secret gets a real
// 403 SignatureDoesNotMatch, and a client that signs something other than what it sends is caught.
import { createHash, createHmac } from 'node:crypto';
import { readdirSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';

interface ChildConfig {
  dir: string;
  port: number;
  buckets: string[];
  accessKeyId: string;
  secretAccessKey: string;
  verifySignatures: boolean;
}

interface S3rverApp {
  configureBuckets(): Promise<void>;
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
}

const require = createRequire(import.meta.url);
const S3rver = require('s3rver') as new (opts: Record<string, unknown>) => S3rverApp;
const { DUMMY_ACCOUNT } = require('s3rver/lib/models/account') as {
  DUMMY_ACCOUNT: { createKeyPair(id: string, secret: string): void };
};

interface ListedObject {
  key: string;
}
interface ListResult {
  objects: ListedObject[];
  commonPrefixes: string[];
  isTruncated: boolean;
}
interface ListOptions {
  delimiter?: string;
  prefix?: string;
  maxKeys?: number;
  startAfter?: string;
}
interface Store {
  getBucketPath(bucket: string): string;
  getMetadata(bucket: string, key: string): Promise<Record<string, unknown>>;
}
const FilesystemStore = require('s3rver/lib/stores/filesystem') as {
  prototype: { listObjects(this: Store, bucket: string, o: ListOptions): Promise<ListResult> };
};
const S3Object = require('s3rver/lib/models/object') as new (
  bucket: string,
  key: string,
  content: null,
  metadata: Record<string, unknown>,
) => ListedObject;
const OBJECT_SUFFIX = '._S3rver_object';

/**
 * Object keys below `prefix` and after `startAfter`, in key order, without reading any metadata. readdir gives
 * the file system's order (hash order on ext4), not S3's: s3rver 3.7 walks in that order and pages with the last
 * key of a page, so a listing of more than one page loses and repeats keys. Each folder is sorted here, a
 * folder as `name/`, which makes the walk's order the keys' order. With `fold`, only the first key of a folder
 * whose name holds the delimiter after the prefix is read: the rest would fold into the same common prefix.
 */
function* keysInOrder(
  dir: string,
  rel: string,
  prefix: string,
  startAfter: string,
  fold: boolean,
): Generator<string> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  const items: Array<{ key: string; dir?: string }> = [];
  for (const e of entries) {
    if (e.isDirectory()) items.push({ key: `${rel}${e.name}/`, dir: e.name });
    else if (e.name.endsWith(OBJECT_SUFFIX))
      items.push({ key: rel + e.name.slice(0, -OBJECT_SUFFIX.length) });
  }
  items.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (const it of items) {
    if (it.dir === undefined) {
      if (it.key.startsWith(prefix) && it.key > startAfter) yield it.key;
      continue;
    }
    const p = it.key;
    if (!p.startsWith(prefix) && !prefix.startsWith(p)) continue;
    // Every key below p sorts before startAfter.
    if (p < startAfter && !startAfter.startsWith(p)) continue;
    const below = keysInOrder(`${dir}/${it.dir}`, p, prefix, startAfter, fold);
    if (fold && p.length > prefix.length && p.startsWith(prefix)) {
      // Every key below p folds into one common prefix: one key proves it holds an object.
      const first = below.next();
      if (!first.done) yield first.value;
    } else yield* below;
  }
}
// s3rver 3.7 prunes folders below a common prefix before it has seen an object in them, so a "folder" that holds
// only sub-folders (e.g. `server/` with `base/` and `wals/`) is never reported as a CommonPrefix, which real S3
// does report; and it pages in readdir order (above). This listing walks in key order, folds common prefixes
// itself, stops after one page, and reads the metadata of that page's objects only, all at once as s3rver does.
FilesystemStore.prototype.listObjects = async function (this: Store, bucket: string, o: ListOptions) {
  const prefix = o.prefix ?? '';
  const delimiter = o.delimiter ?? '';
  if (delimiter !== '' && delimiter !== '/')
    throw new Error(`s3rver-child: delimiter '${delimiter}' unsupported`);
  const max = o.maxKeys ?? Number.POSITIVE_INFINITY;
  const page: Array<{ key?: string; prefix?: string }> = [];
  let isTruncated = false;
  let lastPrefix: string | undefined;
  for (const key of keysInOrder(
    this.getBucketPath(bucket),
    '',
    prefix,
    o.startAfter ?? '',
    delimiter !== '',
  )) {
    const i = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
    const p = i < 0 ? undefined : key.slice(0, i + 1);
    if (p !== undefined && p === lastPrefix) continue;
    if (page.length >= max) {
      isTruncated = true;
      break;
    }
    if (p === undefined) page.push({ key });
    else {
      page.push({ prefix: p });
      lastPrefix = p;
    }
  }
  const listed = page.flatMap((e) => (e.key === undefined ? [] : [e.key]));
  const metadata = await Promise.all(
    listed.map((key) =>
      this.getMetadata(bucket, key).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return undefined;
        throw err;
      }),
    ),
  );
  const objects: ListedObject[] = [];
  listed.forEach((key, i) => {
    const m = metadata[i];
    if (m) objects.push(new S3Object(bucket, key, null, m));
  });
  return {
    objects,
    commonPrefixes: page.flatMap((e) => (e.prefix ? [e.prefix] : [])),
    isTruncated,
  };
};

const cfg = JSON.parse(process.argv[2] ?? '{}') as ChildConfig;
DUMMY_ACCOUNT.createKeyPair(cfg.accessKeyId, cfg.secretAccessKey);
const secrets = new Map([
  ['S3RVER', 'S3RVER'],
  [cfg.accessKeyId, cfg.secretAccessKey],
]);

/** Temporary keys (from the credential fakes): the session token each must come with; expired ones. */
const tokens = new Map<string, string>();
const expired = new Set<string>();
/** The access key id (and whether a token came along) of every signed request, for the test to check. */
const used: { accessKeyId: string; sessionToken: string | undefined; expired?: true }[] = [];

/** Requests to answer with an injected error before serving normally again (for retry tests). */
let failures: { count: number; status: number } = { count: 0, status: 503 };
interface Message {
  type: string;
  count: number;
  status: number;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}
process.on('message', (m: Message) => {
  if (m.type === 'fail') failures = { count: m.count, status: m.status };
  if (m.type === 'keys') {
    DUMMY_ACCOUNT.createKeyPair(m.accessKeyId, m.secretAccessKey);
    secrets.set(m.accessKeyId, m.secretAccessKey);
    if (m.sessionToken !== undefined) tokens.set(m.accessKeyId, m.sessionToken);
    process.send?.({ type: 'keys-added', accessKeyId: m.accessKeyId });
  }
  if (m.type === 'expire') expired.add(m.accessKeyId);
  if (m.type === 'used') process.send?.({ type: 'used', used });
});

/** Temporary keys must carry their session token, and stop working once expired (as real S3 does). */
function tokenError(req: IncomingMessage): Record<string, string> | undefined {
  const id = /Credential=([^/]+)\//.exec(req.headers.authorization ?? '')?.[1];
  if (id === undefined) return undefined;
  const token = req.headers['x-amz-security-token'];
  used.push({
    accessKeyId: id,
    sessionToken: typeof token === 'string' ? token : undefined,
    ...(expired.has(id) ? { expired: true } : {}),
  });
  if (expired.has(id)) return { Code: 'ExpiredToken', Message: 'The provided token has expired.' };
  const want = tokens.get(id);
  if (want !== undefined && token !== want)
    return { Code: 'InvalidToken', Message: 'The provided token is malformed or otherwise invalid.' };
  return undefined;
}
// The parent is gone (test crashed): do not outlive it.
process.on('disconnect', () => process.exit(0));

function enc(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

/** Undefined when the signature is right (or the request is anonymous or from an unknown key, left to s3rver). */
function signatureError(req: IncomingMessage): Record<string, string> | undefined {
  const auth = req.headers.authorization;
  if (!auth) return undefined;
  const m =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(
      auth,
    );
  if (!m) return { Code: 'AuthorizationHeaderMalformed', Message: 'The authorization header is malformed.' };
  const [, id = '', day = '', region = '', service = '', signed = '', provided = ''] = m;
  const secret = secrets.get(id);
  if (secret === undefined) return undefined;
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = (q < 0 ? url : url.slice(0, q))
    .split('/')
    .map((seg) => enc(decodeURIComponent(seg)))
    .join('/');
  const query = (q < 0 ? '' : url.slice(q + 1))
    .split('&')
    .filter((p) => p !== '')
    .map((p) => {
      const [k = '', v = ''] = p.split('=');
      return `${enc(decodeURIComponent(k))}=${enc(decodeURIComponent(v))}`;
    })
    .sort()
    .join('&');
  const names = signed.split(';');
  const headers = names
    .map(
      (n) =>
        `${n}:${String(req.headers[n] ?? '')
          .trim()
          .replace(/ +/g, ' ')}\n`,
    )
    .join('');
  const canonical = [req.method, path, query, headers, signed, req.headers['x-amz-content-sha256']].join(
    '\n',
  );
  const date = String(req.headers['x-amz-date']);
  const scope = `${day}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', date, scope, createHash('sha256').update(canonical).digest('hex')].join(
    '\n',
  );
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, day), region), service), 'aws4_request');
  if (createHmac('sha256', key).update(toSign).digest('hex') === provided) return undefined;
  // Like real S3: the answer echoes what the client sent, signature included, which pgdr must not repeat.
  return {
    Code: 'SignatureDoesNotMatch',
    Message:
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    AWSAccessKeyId: id,
    StringToSign: toSign,
    SignatureProvided: provided,
    CanonicalRequest: canonical,
  };
}

function reply(res: ServerResponse, status: number, fields: Record<string, string>): void {
  const xml = Object.entries(fields)
    .map(([k, v]) => `<${k}>${v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')}</${k}>`)
    .join('');
  res.writeHead(status, { 'content-type': 'application/xml' });
  res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error>${xml}<RequestId>pgdr-test</RequestId></Error>`);
}

async function main(): Promise<void> {
  const app = new S3rver({
    silent: true,
    directory: cfg.dir,
    configureBuckets: cfg.buckets.map((name) => ({ name })),
  });
  await app.configureBuckets();
  const handle = app.callback();
  const server = http.createServer((req, res) => {
    const injected = failures.count > 0;
    const error = injected
      ? { Code: 'SlowDown', Message: 'injected by the test' }
      : (tokenError(req) ?? (cfg.verifySignatures ? signatureError(req) : undefined));
    if (!error) return handle(req, res);
    if (injected) failures.count--;
    // Read the body first: answering early makes the client see EPIPE instead of the error.
    req.resume();
    const status = injected ? failures.status : error.Code === 'ExpiredToken' ? 400 : 403;
    req.on('end', () => reply(res, status, error));
  });
  server.listen(cfg.port, '127.0.0.1', () => {
    const address = server.address();
    process.send?.({ type: 'ready', port: typeof address === 'object' && address ? address.port : cfg.port });
  });
}

main().catch((e: unknown) => {
  process.stderr.write(`s3rver child failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
