// Microsoft Entra ID tokens for the Azure driver, against loopback fakes of the instance metadata service and of
// the Entra token endpoint that check each request as documented (Metadata header, resource, the client
// assertion read from the projected token file), and a blob endpoint that records the Authorization header.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { AzureCredentials } from '../../src/config/types.js';
import { isPgdrError } from '../../src/errors.js';
import { AzureObjectStore } from '../../src/storage/azure/azure-store.js';
import { AzureTokenSource } from '../../src/storage/azure/azure-token.js';
import { caught } from '../helpers/caught.js';

type AzureAD = Extract<AzureCredentials, { kind: 'azureAD' }>;

const dir = mkdtempSync(join(tmpdir(), 'pgdr-azure-tokens-'));
const tokenFile = join(dir, 'azure-identity-token');
const ASSERTION_1 = 'eyJhbGciOiJSUzI1NiJ9.first-projected-token.sig';
const ASSERTION_2 = 'eyJhbGciOiJSUzI1NiJ9.rotated-projected-token.sig';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

let server: http.Server;
let base: string;
const seen: Seen[] = [];
let issued = 0;
/** What the token endpoints answer next: a token for `expiresIn` seconds, or an error. */
let answer: { expiresIn: number } | { status: number; body: unknown } = { expiresIn: 3600 };

before(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => {
      body += d.toString();
    });
    req.on('end', () =>
      handle({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body }, res),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  seen.length = 0;
  answer = { expiresIn: 3600 };
});

/** The answer to one request: a status and a JSON body, or XML for the blob service. */
function answerTo(req: Seen): {
  status: number;
  body: unknown;
  xml?: boolean;
  headers?: Record<string, string>;
} {
  const u = new URL(req.url, base);
  const token = () => {
    if ('status' in answer) return answer;
    issued++;
    return {
      status: 200,
      body: { access_token: `token-${issued}`, expires_in: answer.expiresIn, token_type: 'Bearer' },
    };
  };
  if (u.pathname === '/metadata/identity/oauth2/token') {
    // IMDS refuses requests without the Metadata header (a guard against server-side request forgery).
    if (req.headers.metadata !== 'true') return { status: 400, body: { error: 'invalid_request' } };
    if (u.searchParams.get('resource') !== 'https://storage.azure.com/')
      return { status: 400, body: { error: 'invalid_resource' } };
    return token();
  }
  if (u.pathname === '/tenant-1/oauth2/v2.0/token' && req.method === 'POST') {
    const f = new URLSearchParams(req.body);
    const ok =
      req.headers['content-type'] === 'application/x-www-form-urlencoded' &&
      f.get('grant_type') === 'client_credentials' &&
      f.get('client_id') === 'client-1' &&
      f.get('scope') === 'https://storage.azure.com/.default' &&
      f.get('client_assertion_type') === 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' &&
      [ASSERTION_1, ASSERTION_2].includes(f.get('client_assertion') ?? '');
    if (ok) return token();
    return {
      status: 401,
      body: { error: 'invalid_client', error_description: 'AADSTS700016: bad assertion' },
    };
  }
  // The blob service: an empty container listing for a bearer token, 401 otherwise.
  if (u.pathname.startsWith('/acct/c01') && /^Bearer token-\d+$/.test(req.headers.authorization ?? '')) {
    const xml = '<?xml version="1.0"?><EnumerationResults><Blobs></Blobs><NextMarker/></EnumerationResults>';
    return { status: 200, body: xml, xml: true };
  }
  return { status: 401, body: '', xml: true, headers: { 'x-ms-error-code': 'InvalidAuthenticationInfo' } };
}

function handle(req: Seen, res: ServerResponse): void {
  seen.push(req);
  const a = answerTo(req);
  const type = a.xml ? 'application/xml' : 'application/json';
  res.writeHead(a.status, { 'content-type': type, ...a.headers });
  res.end(a.xml ? String(a.body) : JSON.stringify(a.body));
}

function creds(flow: AzureAD['flow'], extra: Partial<AzureAD> = {}): AzureAD {
  return {
    kind: 'azureAD',
    flow,
    source: `${flow} (test)`,
    authorityHost: `${base}/`,
    imdsHost: base,
    clientId: 'client-1',
    tenantId: 'tenant-1',
    tokenFile,
    ...extra,
  };
}

function store(c: AzureAD): AzureObjectStore {
  return new AzureObjectStore({ service: `${base}/acct`, container: 'c01', credentials: c, retryBaseMs: 10 });
}

const blobCalls = () => seen.filter((s) => s.url.startsWith('/acct/'));
const tokenCalls = () => seen.filter((s) => !s.url.startsWith('/acct/'));

describe('Azure driver with Entra ID tokens', () => {
  it('managed identity: one IMDS token serves every request, sent as a bearer token', async () => {
    const s = store(creds('managedIdentity'));
    try {
      await s.checkAccess();
      await s.list('x/');
      await Promise.all([s.list('a/'), s.list('b/'), s.list('c/')]);
      assert.equal(tokenCalls().length, 1, 'one token request');
      const t = tokenCalls()[0] as Seen;
      assert.match(t.url, /api-version=2018-02-01/);
      assert.match(t.url, /client_id=client-1/);
      assert.equal(blobCalls().length, 5);
      const auth = new Set(blobCalls().map((c) => c.headers.authorization));
      assert.equal(auth.size, 1);
      assert.match([...auth][0] ?? '', /^Bearer token-\d+$/);
      assert.ok(blobCalls().every((c) => c.headers['x-ms-version'] === '2021-12-02'));
    } finally {
      await s.close();
    }
  });

  it('workload identity: the token file is read for every token request (the kubelet rotates it)', async () => {
    writeFileSync(tokenFile, `${ASSERTION_1}\n`);
    let now = Date.now();
    const source = new AzureTokenSource(creds('workloadIdentity'), 5000, () => now);
    const first = await source.token();
    assert.equal(await source.token(), first, 'cached');
    writeFileSync(tokenFile, ASSERTION_2);
    // 56 minutes on: within five minutes of expiry, a new token is fetched with the rotated assertion.
    now += 56 * 60_000;
    const second = await source.token();
    assert.notEqual(second, first);
    const assertions = tokenCalls().map((c) => new URLSearchParams(c.body).get('client_assertion'));
    assert.deepEqual(assertions, [ASSERTION_1, ASSERTION_2]);
  });

  it('a short-lived token is refreshed at half its lifetime; an expired one is never sent', async () => {
    answer = { expiresIn: 60 };
    let now = Date.now();
    const source = new AzureTokenSource(creds('managedIdentity'), 5000, () => now);
    const a = await source.token();
    now += 29_000;
    assert.equal(await source.token(), a);
    now += 2000;
    const b = await source.token();
    assert.notEqual(b, a);
    // The endpoint fails now: the cached token serves until it expires, then the failure shows.
    answer = { status: 500, body: { error: 'temporarily_unavailable' } };
    now += 31_000;
    assert.equal(await source.token(), b);
    now += 40_000;
    const e = await caught(source.token());
    assert.ok(isPgdrError(e, 'STORE_AUTH'), String(e));
    assert.equal(tokenCalls().length, 4);
  });

  it('a refused assertion is STORE_AUTH naming the flow, never the assertion', async () => {
    writeFileSync(tokenFile, 'eyJ.not-federated-anywhere.sig');
    const s = store(creds('workloadIdentity'));
    try {
      const e = await caught(s.checkAccess());
      assert.ok(isPgdrError(e, 'STORE_AUTH'), String(e));
      assert.match(
        e.message,
        /no Azure access token for the workloadIdentity \(test\): .* HTTP 401 \(invalid_client: AADSTS700016/,
      );
      assert.match(e.hint ?? '', /federated credential/);
      const shown = JSON.stringify({ m: e.message, h: e.hint, d: e.details, c: String(e.cause) });
      assert.ok(!shown.includes('not-federated-anywhere'));
      assert.equal(blobCalls().length, 0, 'no blob request without a token');
    } finally {
      await s.close();
    }
  });

  it('a token endpoint that does not answer is STORE_UNREACHABLE naming it', async () => {
    const s = store(creds('managedIdentity', { imdsHost: 'http://127.0.0.1:9' }));
    try {
      const e = await caught(s.checkAccess());
      assert.ok(isPgdrError(e, 'STORE_UNREACHABLE'), String(e));
      assert.match(
        e.message,
        /no Azure access token for the managedIdentity \(test\): http:\/\/127\.0\.0\.1:9 did not answer/,
      );
    } finally {
      await s.close();
    }
  });
});
