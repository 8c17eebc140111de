// Loopback fakes of the services the AWS credential chain calls, each checking requests as AWS documents them:
// STS (AssumeRoleWithWebIdentity with the expected token; AssumeRole whose SigV4 Authorization must verify
// against a known source key), the container credentials endpoint (Authorization must be the token), and
// IMDSv2 (a PUT for a session token first; every GET must carry it). Every key issued is registered with
// s3rver (addKeys), so S3 requests only succeed when signed with exactly what the fake handed out.
import { createHash, randomBytes } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { signV4 } from '../../src/storage/s3/sigv4.js';

export interface IssuedKeys {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
}

export interface FakeCall {
  readonly service: 'sts' | 'container' | 'imds';
  readonly action: string;
  /** AssumeRole: the key id that signed it; the others: undefined. */
  readonly signedBy?: string | undefined;
  readonly roleArn?: string | undefined;
}

export interface CredentialFakes {
  /** http://127.0.0.1:PORT: STS at /, container credentials at /container, IMDS at /latest/... */
  readonly endpoint: string;
  readonly calls: FakeCall[];
  readonly issued: IssuedKeys[];
  /** Keys AssumeRole accepts as its signer (a profile's static keys; the keys it issued are accepted too). */
  trustSigner(accessKeyId: string, secretAccessKey: string): void;
  stop(): Promise<void>;
}

export interface FakeOptions {
  /** Registers every issued key where the S3 requests go (s3rver.addKeys). */
  readonly register: (keys: IssuedKeys) => Promise<void>;
  /** Lifetime of issued keys (default 1 hour). */
  readonly lifetimeMs?: number;
  /** The token AssumeRoleWithWebIdentity accepts (the content of AWS_WEB_IDENTITY_TOKEN_FILE). */
  readonly webIdentityToken?: string;
  /** The Authorization the container endpoint requires. */
  readonly containerToken?: string;
  /** The role the instance metadata names. */
  readonly instanceRole?: string;
}

const IMDS_TOKEN = `imds-${randomBytes(8).toString('hex')}`;

export async function startCredentialFakes(o: FakeOptions): Promise<CredentialFakes> {
  const calls: FakeCall[] = [];
  const issued: IssuedKeys[] = [];
  const signers = new Map<string, string>();
  const issue = async (): Promise<IssuedKeys> => {
    const keys = {
      accessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`,
      secretAccessKey: `fake-secret-${randomBytes(12).toString('hex')}`,
      sessionToken: `fake-session-${randomBytes(24).toString('base64url')}`,
      expiration: new Date(Date.now() + (o.lifetimeMs ?? 3_600_000)),
    };
    await o.register(keys);
    issued.push(keys);
    // Role chaining: keys this STS issued may sign the next AssumeRole.
    signers.set(keys.accessKeyId, keys.secretAccessKey);
    return keys;
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      handle(req, Buffer.concat(chunks).toString('utf8'), res).catch((e: Error) => {
        res.writeHead(500).end(e.message);
      });
    });
  });
  const handle = async (req: IncomingMessage, body: string, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    if (url.pathname.startsWith('/latest/')) return imds(req, url.pathname, res);
    if (url.pathname === '/container') {
      calls.push({ service: 'container', action: 'GetCredentials' });
      if (req.headers.authorization !== o.containerToken)
        return json(res, 401, { code: 'AccessDenied', message: 'bad authorization token' });
      const k = await issue();
      return json(res, 200, {
        AccessKeyId: k.accessKeyId,
        SecretAccessKey: k.secretAccessKey,
        Token: k.sessionToken,
        Expiration: k.expiration.toISOString(),
        RoleArn: 'arn:aws:iam::123456789012:role/pod-role',
      });
    }
    const form = new URLSearchParams(body);
    const action = form.get('Action') ?? '';
    const roleArn = form.get('RoleArn') ?? undefined;
    if (req.method !== 'POST' || form.get('Version') !== '2011-06-15')
      return stsError(res, 400, 'InvalidAction', 'expected a POST of the 2011-06-15 query API');
    if (action === 'AssumeRoleWithWebIdentity') {
      calls.push({ service: 'sts', action, roleArn });
      if (form.get('WebIdentityToken') !== o.webIdentityToken || !form.get('RoleSessionName'))
        return stsError(res, 403, 'AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity');
      return stsKeys(res, action, await issue());
    }
    if (action === 'AssumeRole') {
      const signedBy = verifySigV4(req, body, signers);
      calls.push({ service: 'sts', action, roleArn, signedBy });
      if (signedBy === undefined)
        return stsError(
          res,
          403,
          'SignatureDoesNotMatch',
          'The request signature we calculated does not match',
        );
      return stsKeys(res, action, await issue());
    }
    return stsError(res, 400, 'InvalidAction', `unknown action ${action}`);
  };
  const imds = async (req: IncomingMessage, path: string, res: ServerResponse) => {
    calls.push({ service: 'imds', action: `${req.method} ${path}` });
    if (path === '/latest/api/token') {
      if (req.method !== 'PUT' || !req.headers['x-aws-ec2-metadata-token-ttl-seconds'])
        return res.writeHead(400).end();
      return res.writeHead(200).end(IMDS_TOKEN);
    }
    if (req.headers['x-aws-ec2-metadata-token'] !== IMDS_TOKEN) return res.writeHead(401).end();
    const base = '/latest/meta-data/iam/security-credentials/';
    if (path === base) return res.writeHead(200).end(`${o.instanceRole}\n`);
    if (path !== `${base}${o.instanceRole}`) return res.writeHead(404).end();
    const k = await issue();
    return json(res, 200, {
      Code: 'Success',
      Type: 'AWS-HMAC',
      AccessKeyId: k.accessKeyId,
      SecretAccessKey: k.secretAccessKey,
      Token: k.sessionToken,
      Expiration: k.expiration.toISOString(),
    });
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    issued,
    trustSigner: (id, secret) => signers.set(id, secret),
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The key id whose secret reproduces the request's signature, or undefined. */
function verifySigV4(req: IncomingMessage, body: string, signers: Map<string, string>): string | undefined {
  const m =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/sts\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
      req.headers.authorization ?? '',
    );
  if (!m) return undefined;
  const [, id = '', , region = '', signedHeaders = '', signature = ''] = m;
  const secret = signers.get(id);
  if (secret === undefined) return undefined;
  const headers: Record<string, string> = {};
  for (const n of signedHeaders.split(';')) {
    if (!['host', 'x-amz-date', 'x-amz-content-sha256', 'x-amz-security-token'].includes(n))
      headers[n] = String(req.headers[n] ?? '');
  }
  const date = String(req.headers['x-amz-date']);
  const now = new Date(
    `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${date.slice(9, 11)}:${date.slice(11, 13)}:${date.slice(13, 15)}Z`,
  );
  const token = req.headers['x-amz-security-token'];
  const expected = signV4({
    method: req.method ?? '',
    host: String(req.headers.host),
    path: new URL(req.url ?? '/', 'http://fake').pathname,
    query: [],
    headers,
    payloadHash: String(req.headers['x-amz-content-sha256']),
    region,
    service: 'sts',
    credentials: {
      accessKeyId: id,
      secretAccessKey: secret,
      sessionToken: typeof token === 'string' ? token : undefined,
    },
    now,
  });
  // The signature covers the payload hash header; that header must be the body's own hash.
  const bodyHash = createHash('sha256').update(body).digest('hex');
  const hashOk = req.headers['x-amz-content-sha256'] === bodyHash;
  return expected.signature === signature && hashOk ? id : undefined;
}

function json(res: ServerResponse, status: number, doc: object): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(doc));
}

function stsKeys(res: ServerResponse, action: string, k: IssuedKeys): void {
  res
    .writeHead(200, { 'content-type': 'text/xml' })
    .end(
      `<${action}Response xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><${action}Result>` +
        `<Credentials><AccessKeyId>${k.accessKeyId}</AccessKeyId><SecretAccessKey>${k.secretAccessKey}</SecretAccessKey>` +
        `<SessionToken>${k.sessionToken}</SessionToken><Expiration>${k.expiration.toISOString()}</Expiration></Credentials>` +
        `</${action}Result><ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata></${action}Response>`,
    );
}

function stsError(res: ServerResponse, status: number, code: string, message: string): void {
  res
    .writeHead(status, { 'content-type': 'text/xml' })
    .end(
      `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${code}</Code>` +
        `<Message>${message}</Message></Error><RequestId>fake</RequestId></ErrorResponse>`,
    );
}
