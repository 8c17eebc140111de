// A loopback fake of the Cloud Storage JSON API, for the gs:// driver (no emulator runs here). It implements the
// documented calls pgdr uses and CHECKS each request as the documentation specifies, answering 400/401 like
// the service when a request breaks a rule: a Bearer token it issued itself (gcs-fake-auth.ts) on every
// storage call; media and resumable uploads (Content-Range, chunks of 256 KiB multiples, the next byte only);
// objects.list with pageToken pages (small by default, to force pagination), prefix and delimiter; alt=media
// downloads with Range; ifGenerationMatch preconditions. It also serves the metadata server's token path.
// Faults: a chunk that breaks off after part of it was stored, and hooks to tamper with listings.
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import type { GoogleCredentials } from '../../src/config/google.js';
import type { StoreAccess } from './archiving-primary.js';
import { FakeTokens, type ServiceAccountKeyFile } from './gcs-fake-auth.js';

const UNIT = 256 * 1024;

interface StoredObject {
  readonly data: Buffer;
  readonly generation: number;
  readonly updated: Date;
}

interface Session {
  readonly bucket: string;
  readonly name: string;
  readonly ifGenerationMatch: string | null;
  readonly principal: string | undefined;
  chunks: Buffer[];
  size: number;
  done?: StoredObject;
}

export interface FakeRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly range: string | undefined;
  readonly contentRange: string | undefined;
  readonly authorization: string | undefined;
  readonly status: number;
}

export interface GcsFake {
  /** http://127.0.0.1:PORT: objectStore.endpointURL, STORAGE_EMULATOR_HOST (without the scheme) */
  readonly endpoint: string;
  readonly port: number;
  readonly tokenUri: string;
  readonly tokens: FakeTokens;
  readonly requests: FakeRequest[];
  readonly buckets: Map<string, Map<string, StoredObject>>;
  /** Items per listing page at most, whatever maxResults asks (default 50). */
  pageSize: number;
  /** Accept storage calls without Authorization (an emulator). */
  anonymous: boolean;
  /** The metadata server's service account; undefined: it has none (404). */
  metadataEmail: string | undefined;
  /** The next n chunk PUTs store only their first `keep` bytes (a 256 KiB multiple) and break off. */
  breakChunks(n: number, keep: number): void;
  /** The next n chunk PUTs store only their first `keep` bytes and answer 308 saying so. */
  shortChunks(n: number, keep: number): void;
  /** The next n storage calls answer this status (503: a retry is due). */
  failNext(n: number, status?: number): void;
  /** Principals whose valid tokens are refused (403: no IAM permission on the bucket). */
  readonly forbidden: Set<string>;
  /** Hands out resumable sessions on this origin instead of the caller's (a hostile store). */
  sessionOrigin: string | undefined;
  /** Rewrites every listing page before it is sent (hostile answers). */
  tamperList: ((page: Record<string, unknown>) => unknown) | undefined;
  serviceAccount(email?: string): ServiceAccountKeyFile;
  readonly openSessions: () => number;
  close(): Promise<void>;
}

function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = Buffer.from(JSON.stringify(body));
  res.writeHead(status, {
    'content-type': 'application/json; charset=UTF-8',
    'content-length': text.length,
    ...headers,
  });
  res.end(text);
}

function apiError(res: ServerResponse, status: number, reason: string, message: string): void {
  json(res, status, { error: { code: status, message, errors: [{ message, domain: 'global', reason }] } });
}

function resource(bucket: string, name: string, o: StoredObject): Record<string, unknown> {
  return {
    kind: 'storage#object',
    id: `${bucket}/${name}/${o.generation}`,
    name,
    bucket,
    generation: String(o.generation),
    metageneration: '1',
    size: String(o.data.length),
    updated: o.updated.toISOString(),
    timeCreated: o.updated.toISOString(),
  };
}

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

export async function startGcsFake(o: { buckets: readonly string[]; pageSize?: number }): Promise<GcsFake> {
  const tokens = new FakeTokens();
  const buckets = new Map(o.buckets.map((b) => [b, new Map<string, StoredObject>()]));
  const sessions = new Map<string, Session>();
  const requests: FakeRequest[] = [];
  const sockets = new Set<Socket>();
  let generation = 1_700_000_000_000_000;
  let broken = { n: 0, keep: 0 };
  let short = { n: 0, keep: 0 };
  let failing = { n: 0, status: 503 };
  let origin = '';

  const fake: GcsFake = {
    endpoint: '',
    port: 0,
    tokenUri: '',
    tokens,
    requests,
    buckets,
    pageSize: o.pageSize ?? 50,
    anonymous: false,
    metadataEmail: 'pgdr-node@pgdr-test.iam.gserviceaccount.com',
    tamperList: undefined,
    forbidden: new Set(),
    sessionOrigin: undefined,
    failNext: (n, status = 503) => {
      failing = { n, status };
    },
    breakChunks: (n, keep) => {
      broken = { n, keep };
    },
    shortChunks: (n, keep) => {
      short = { n, keep };
    },
    serviceAccount: (email) => tokens.serviceAccount(fake.tokenUri, email),
    openSessions: () => [...sessions.values()].filter((s) => !s.done).length,
    close: async () => undefined,
  };

  const store = (bucket: Map<string, StoredObject>, name: string, data: Buffer): StoredObject => {
    const obj = { data, generation: ++generation, updated: new Date() };
    bucket.set(name, obj);
    return obj;
  };

  /** ifGenerationMatch as documented: 0 means "no live object"; otherwise the live generation. */
  const preconditionFails = (want: string | null, live: StoredObject | undefined): boolean => {
    if (want === null) return false;
    return want === '0' ? live !== undefined : live?.generation !== Number(want);
  };

  async function handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const path = url.pathname;
    if (path === '/token' && req.method === 'POST') {
      if (!String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded'))
        return json(res, 400, { error: 'invalid_request', error_description: 'form body expected' });
      const [status, body] = tokens.exchange((await readAll(req)).toString('utf8'), fake.tokenUri);
      return json(res, status, body);
    }
    if (path.startsWith('/computeMetadata/v1/')) return metadata(req, res, path);

    const principal = tokens.principal(/^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1]);
    if (!principal && !fake.anonymous) {
      await readAll(req);
      return apiError(
        res,
        401,
        'required',
        'Anonymous caller does not have storage.objects.get access, or the token is invalid or expired.',
      );
    }
    if (principal && fake.forbidden.has(principal)) {
      await readAll(req);
      return apiError(
        res,
        403,
        'forbidden',
        `${principal} does not have storage.objects.list access to the Google Cloud Storage bucket.`,
      );
    }
    if (failing.n > 0) {
      failing.n--;
      await readAll(req);
      return apiError(
        res,
        failing.status,
        'backendError',
        'We encountered an internal error. Please try again.',
      );
    }
    let m = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/.exec(path);
    if (m) return upload(req, res, url, decodeURIComponent(m[1] as string), principal);
    m = /^\/storage\/v1\/b\/([^/]+)\/o(?:\/(.+))?$/.exec(path);
    if (!m) return apiError(res, 404, 'notFound', 'Not Found');
    const bucketName = decodeURIComponent(m[1] as string);
    const bucket = buckets.get(bucketName);
    await readAll(req);
    if (!bucket) return apiError(res, 404, 'notFound', 'The specified bucket does not exist.');
    if (m[2] === undefined) {
      if (req.method !== 'GET') return apiError(res, 405, 'methodNotAllowed', 'Method not allowed');
      return list(res, url, bucketName, bucket);
    }
    const name = decodeURIComponent(m[2]);
    const obj = bucket.get(name);
    if (req.method === 'DELETE') {
      if (!obj) return apiError(res, 404, 'notFound', `No such object: ${bucketName}/${name}`);
      bucket.delete(name);
      res.writeHead(204).end();
      return;
    }
    if (req.method !== 'GET') return apiError(res, 405, 'methodNotAllowed', 'Method not allowed');
    if (!obj) return apiError(res, 404, 'notFound', `No such object: ${bucketName}/${name}`);
    if (preconditionFails(url.searchParams.get('ifGenerationMatch'), obj))
      return apiError(
        res,
        412,
        'conditionNotMet',
        'At least one of the pre-conditions you specified did not hold.',
      );
    if (url.searchParams.get('alt') !== 'media') return json(res, 200, resource(bucketName, name, obj));
    return media(req, res, obj);
  }

  function metadata(req: IncomingMessage, res: ServerResponse, path: string): void {
    tokens.metadataRequests++;
    req.resume();
    const flavor = { 'metadata-flavor': 'Google' };
    // The documented guard against requests forged through the node's other services.
    if (req.headers['metadata-flavor'] !== 'Google') {
      json(res, 403, { error: 'Missing Metadata-Flavor:Google header.' }, flavor);
      return;
    }
    const account = '/computeMetadata/v1/instance/service-accounts/default/';
    if (!fake.metadataEmail || !path.startsWith(account)) {
      json(res, 404, { error: 'not found' }, flavor);
      return;
    }
    if (path === `${account}token`) {
      json(res, 200, tokens.issue(fake.metadataEmail), flavor);
      return;
    }
    if (path === `${account}email`) {
      res.writeHead(200, { ...flavor, 'content-type': 'application/text' }).end(fake.metadataEmail);
      return;
    }
    json(res, 404, { error: 'not found' }, flavor);
  }

  function list(res: ServerResponse, url: URL, bucketName: string, bucket: Map<string, StoredObject>): void {
    const q = url.searchParams;
    const prefix = q.get('prefix') ?? '';
    const delimiter = q.get('delimiter');
    const asked = Number(q.get('maxResults') ?? 1000);
    if (!Number.isInteger(asked) || asked < 1) {
      apiError(res, 400, 'invalid', 'Invalid maxResults');
      return;
    }
    const max = Math.min(asked, fake.pageSize);
    const entries = new Map<string, string | undefined>();
    for (const name of bucket.keys()) {
      if (!name.startsWith(prefix)) continue;
      const cut = delimiter ? name.indexOf(delimiter, prefix.length) : -1;
      if (cut >= 0) entries.set(name.slice(0, cut + 1), undefined);
      else entries.set(name, name);
    }
    const sorted = [...entries.keys()].sort(byteOrder);
    const after = q.get('pageToken');
    let start = 0;
    if (after !== null) {
      const last = Buffer.from(after, 'base64url').toString('utf8');
      start = sorted.findIndex((k) => byteOrder(k, last) > 0);
      if (start < 0) start = sorted.length;
    }
    const page = sorted.slice(start, start + max);
    const body: Record<string, unknown> = { kind: 'storage#objects' };
    const items = page.filter((k) => entries.get(k) !== undefined);
    const prefixes = page.filter((k) => entries.get(k) === undefined);
    if (items.length) body.items = items.map((k) => resource(bucketName, k, bucket.get(k) as StoredObject));
    if (prefixes.length) body.prefixes = prefixes;
    if (start + max < sorted.length)
      body.nextPageToken = Buffer.from(page[page.length - 1] as string).toString('base64url');
    json(res, 200, fake.tamperList ? fake.tamperList(body) : body);
  }

  function media(req: IncomingMessage, res: ServerResponse, obj: StoredObject): void {
    const size = obj.data.length;
    const headers = {
      'x-goog-generation': String(obj.generation),
      etag: `"e${obj.generation}"`,
      'content-type': 'application/octet-stream',
    };
    const range = req.headers.range;
    if (range === undefined) {
      res.writeHead(200, { ...headers, 'content-length': size });
      res.end(obj.data);
      return;
    }
    const r = /^bytes=(\d+)-(\d*)$/.exec(range);
    if (!r) {
      apiError(res, 400, 'invalid', 'Invalid Range');
      return;
    }
    const from = Number(r[1]);
    const to = r[2] ? Math.min(Number(r[2]), size - 1) : size - 1;
    if (from >= size) {
      res.writeHead(416, { 'content-range': `bytes */${size}` }).end();
      return;
    }
    res.writeHead(206, {
      ...headers,
      'content-length': to - from + 1,
      'content-range': `bytes ${from}-${to}/${size}`,
    });
    res.end(obj.data.subarray(from, to + 1));
  }

  async function upload(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    bucketName: string,
    principal: string | undefined,
  ): Promise<void> {
    const q = url.searchParams;
    const bucket = buckets.get(bucketName);
    const type = q.get('uploadType');
    const id = q.get('upload_id');
    if (id !== null) return chunk(req, res, id);
    const body = await readAll(req);
    if (!bucket) return apiError(res, 404, 'notFound', 'The specified bucket does not exist.');
    const name = q.get('name');
    if (req.method !== 'POST' || !name) return apiError(res, 400, 'required', 'Required parameter: name');
    if (req.headers['content-length'] === undefined)
      return apiError(res, 411, 'lengthRequired', 'Length Required');
    const want = q.get('ifGenerationMatch');
    if (preconditionFails(want, bucket.get(name)))
      return apiError(
        res,
        412,
        'conditionNotMet',
        'At least one of the pre-conditions you specified did not hold.',
      );
    if (type === 'media') {
      if (!req.headers['content-type']) return apiError(res, 400, 'required', 'Content-Type required');
      return json(res, 200, resource(bucketName, name, store(bucket, name, body)));
    }
    if (type !== 'resumable') return apiError(res, 400, 'invalid', `Invalid uploadType ${type}`);
    const sid = randomBytes(16).toString('hex');
    sessions.set(sid, { bucket: bucketName, name, ifGenerationMatch: want, principal, chunks: [], size: 0 });
    // As the service does: the session lives at the address the client used.
    const location = new URL(url.pathname, fake.sessionOrigin ?? `http://${req.headers.host}`);
    location.searchParams.set('uploadType', 'resumable');
    location.searchParams.set('name', name);
    location.searchParams.set('upload_id', sid);
    res.writeHead(200, { location: location.toString(), 'content-length': 0 }).end();
  }

  async function chunk(req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
    const s = sessions.get(id);
    if (req.method === 'DELETE') {
      await readAll(req);
      if (!s || s.done) return apiError(res, 404, 'notFound', 'No such upload');
      sessions.delete(id);
      res.writeHead(499, { 'content-length': 0 }).end();
      return;
    }
    if (!s) {
      await readAll(req);
      return apiError(res, 404, 'notFound', 'No such upload');
    }
    if (req.method !== 'PUT') return apiError(res, 405, 'methodNotAllowed', 'Method not allowed');
    const held = (): Record<string, string> => (s.size > 0 ? { range: `bytes=0-${s.size - 1}` } : {});
    const cr = String(req.headers['content-range'] ?? '');
    const status = /^bytes \*\/(\d+|\*)$/.exec(cr);
    if (status) {
      await readAll(req);
      if (s.done) return json(res, 200, resource(s.bucket, s.name, s.done));
      res.writeHead(308, { ...held(), 'content-length': 0 }).end();
      return;
    }
    const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(cr);
    const length = Number(req.headers['content-length']);
    if (!m || !Number.isInteger(length)) {
      await readAll(req);
      return apiError(res, 400, 'invalid', `Invalid Content-Range ${JSON.stringify(cr)}`);
    }
    const from = Number(m[1]);
    const to = Number(m[2]);
    const total = m[3] === '*' ? undefined : Number(m[3]);
    // The documented rules: the next byte only, Content-Length = the range, 256 KiB multiples until the last.
    const rule =
      s.done !== undefined
        ? 'the upload is complete'
        : from !== s.size
          ? `the chunk starts at ${from}, the session holds ${s.size}`
          : length !== to - from + 1
            ? 'Content-Length differs from Content-Range'
            : total === undefined && length % UNIT !== 0
              ? 'a chunk that is not the last must be a multiple of 256 KiB'
              : total !== undefined && total !== to + 1
                ? 'the last chunk must end at the total size'
                : undefined;
    if (rule) {
      await readAll(req);
      return apiError(res, 400, 'invalid', rule);
    }
    if (broken.n > 0) {
      broken.n--;
      const keep = broken.keep;
      const got: Buffer[] = [];
      let n = 0;
      req.on('data', (c: Buffer) => {
        got.push(c);
        n += c.length;
        if (n >= keep) {
          const data = Buffer.concat(got).subarray(0, keep);
          s.chunks.push(Buffer.from(data));
          s.size += data.length;
          req.socket.destroy();
        }
      });
      return;
    }
    let data = await readAll(req);
    if (short.n > 0 && total === undefined) {
      short.n--;
      data = data.subarray(0, short.keep);
    }
    s.chunks.push(data);
    s.size += data.length;
    if (total === undefined || s.size < total) {
      res.writeHead(308, { ...held(), 'content-length': 0 }).end();
      return;
    }
    const bucket = buckets.get(s.bucket);
    if (!bucket) return apiError(res, 404, 'notFound', 'The specified bucket does not exist.');
    if (preconditionFails(s.ifGenerationMatch, bucket.get(s.name))) {
      sessions.delete(id);
      return apiError(
        res,
        412,
        'conditionNotMet',
        'At least one of the pre-conditions you specified did not hold.',
      );
    }
    s.done = store(bucket, s.name, Buffer.concat(s.chunks));
    s.chunks = [];
    json(res, 200, resource(s.bucket, s.name, s.done));
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', origin);
    res.on('finish', () =>
      requests.push({
        method: req.method ?? '',
        path: url.pathname,
        query: url.searchParams,
        range: req.headers.range,
        contentRange: req.headers['content-range'] as string | undefined,
        authorization: req.headers.authorization,
        status: res.statusCode,
      }),
    );
    handle(req, res, url).catch((e: unknown) => {
      if (!res.headersSent) apiError(res, 500, 'backendError', String(e));
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  origin = `http://127.0.0.1:${port}`;
  Object.assign(fake, {
    endpoint: origin,
    port,
    tokenUri: `${origin}/token`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  });
  return fake;
}

/** The driver's credentials for a key file, as the configuration builds them. */
export function keyCredentials(key: ServiceAccountKeyFile): GoogleCredentials {
  const k = {
    clientEmail: key.client_email,
    privateKey: key.private_key,
    privateKeyId: key.private_key_id,
    tokenUri: key.token_uri,
  };
  return { kind: 'service-account', key: k, source: `the test key of ${key.client_email}` };
}

/** A gs:// destination on the fake for archivingPrimary: a service-account key file (test key, 0644). */
export function gcsAccess(fake: GcsFake, bucket: string): StoreAccess {
  return {
    async lines(root) {
      const file = join(root, 'gcs-key.json');
      await writeFile(file, JSON.stringify(fake.serviceAccount()), { mode: 0o644 });
      return [
        `  destinationPath: gs://${bucket}/dr`,
        `  endpointURL: ${fake.endpoint}`,
        '  googleCredentials:',
        `    applicationCredentials: {file: ${file}}`,
      ];
    },
  };
}
