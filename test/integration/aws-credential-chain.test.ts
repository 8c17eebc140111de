// The AWS credential chain against loopback fakes of STS, the container endpoint and IMDSv2, with s3rver
// accepting only the keys the fakes issued (with their session token): each source resolves, S3 calls signed
// with its keys succeed, the source is named, and no secret, session token or web identity token reaches a
// message.
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { PgdrError } from '../../src/errors.js';
import { openStore } from '../../src/storage/open-store.js';
import { type CredentialFakes, startCredentialFakes } from '../helpers/aws-credential-fakes.js';
import { caught } from '../helpers/caught.js';
import { runPgdr } from '../helpers/cli.js';
import { type S3rverHandle, startS3rver } from '../helpers/s3rver.js';

const ROLE = 'arn:aws:iam::123456789012:role/pgdr-irsa';
const OIDC_TOKEN = 'eyJoaWRkZW4iOiJvaWRjLXRva2VuIn0.web-identity-token-value';
const POD_TOKEN = 'pod-identity-authorization-token-value';
const BASE = { id: 'AKIABASEPROFILE00001', secret: 'base-profile-secret-value-0001' };

describe('AWS credential chain', () => {
  let s3: S3rverHandle;
  let fakes: CredentialFakes;
  let dir: string;

  before(async () => {
    s3 = await startS3rver({ buckets: ['chain'] });
    fakes = await startCredentialFakes({
      register: (k) => s3.addKeys(k),
      webIdentityToken: OIDC_TOKEN,
      containerToken: POD_TOKEN,
      instanceRole: 'pgdr-instance',
    });
    fakes.trustSigner(BASE.id, BASE.secret);
    await s3.addKeys({ accessKeyId: BASE.id, secretAccessKey: BASE.secret });
    dir = await fsp.mkdtemp(join(tmpdir(), 'pgdr-chain-'));
    await fsp.writeFile(join(dir, 'oidc-token'), `${OIDC_TOKEN}\n`);
    await fsp.writeFile(join(dir, 'pod-token'), POD_TOKEN);
    await fsp.mkdir(join(dir, 'home'));
  });
  after(async () => {
    await fakes.stop();
    await s3.stop();
    await fsp.rm(dir, { recursive: true, force: true });
  });

  /** An environment with nothing set up but STS and IMDS pointed at the fakes (IMDS off unless asked). */
  const env = (extra: Record<string, string>): NodeJS.ProcessEnv => ({
    HOME: join(dir, 'home'),
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL_STS: fakes.endpoint,
    AWS_EC2_METADATA_DISABLED: 'true',
    ...extra,
  });

  async function configFile(s3Credentials?: object): Promise<string> {
    const file = join(dir, `pgdr-${Math.random().toString(36).slice(2)}.yaml`);
    const objectStore = { destinationPath: 's3://chain/pg', endpointURL: s3.endpoint, s3Credentials };
    await fsp.writeFile(file, JSON.stringify({ serverName: 'pg', objectStore }));
    return file;
  }

  /** Stores and reads back an object; returns the source the store names and the keys s3rver saw last. */
  async function roundTrip(e: NodeJS.ProcessEnv, s3Credentials?: object) {
    const config = loadConfig({
      overrides: { configFile: await configFile(s3Credentials) },
      env: e,
      cwd: dir,
    });
    const store = await openStore(config.objectStore);
    try {
      await store.put('probe', Buffer.from('chain'));
      assert.equal((await store.getBuffer('probe')).toString(), 'chain');
      const used = await s3.keysUsed();
      return { source: await store.credentialSource?.(), last: used[used.length - 1] };
    } finally {
      await store.close();
    }
  }

  function assertSignedWithLatest(
    last: { accessKeyId: string; sessionToken: string | undefined } | undefined,
  ) {
    const issued = fakes.issued[fakes.issued.length - 1];
    assert.equal(last?.accessKeyId, issued?.accessKeyId);
    assert.equal(last?.sessionToken, issued?.sessionToken);
  }

  it('IRSA: web identity token exchanged through STS AssumeRoleWithWebIdentity', async () => {
    const r = await roundTrip(
      env({ AWS_WEB_IDENTITY_TOKEN_FILE: join(dir, 'oidc-token'), AWS_ROLE_ARN: ROLE }),
    );
    assert.equal(r.source, `web identity role ${ROLE}`);
    assertSignedWithLatest(r.last);
    assert.deepEqual(fakes.calls.at(-1), {
      service: 'sts',
      action: 'AssumeRoleWithWebIdentity',
      roleArn: ROLE,
    });
  });

  it('inheritFromIAMRole: true uses the chain (it used to fail with "accessKeyId: is required")', async () => {
    const r = await roundTrip(
      env({ AWS_WEB_IDENTITY_TOKEN_FILE: join(dir, 'oidc-token'), AWS_ROLE_ARN: ROLE }),
      { inheritFromIAMRole: true },
    );
    assert.equal(r.source, `web identity role ${ROLE}`);
    assertSignedWithLatest(r.last);
  });

  it('EKS Pod Identity: container credentials with the token file as Authorization', async () => {
    const r = await roundTrip(
      env({
        AWS_CONTAINER_CREDENTIALS_FULL_URI: `${fakes.endpoint}/container`,
        AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: join(dir, 'pod-token'),
      }),
    );
    assert.equal(
      r.source,
      `container credentials at ${fakes.endpoint} role arn:aws:iam::123456789012:role/pod-role`,
    );
    assertSignedWithLatest(r.last);
  });

  it('ECS: container credentials with AWS_CONTAINER_AUTHORIZATION_TOKEN', async () => {
    const r = await roundTrip(
      env({
        AWS_CONTAINER_CREDENTIALS_FULL_URI: `${fakes.endpoint}/container`,
        AWS_CONTAINER_AUTHORIZATION_TOKEN: POD_TOKEN,
      }),
    );
    assertSignedWithLatest(r.last);
  });

  it('profile with role chaining: AssumeRole signed by source_profile, twice over', async () => {
    const config = join(dir, 'aws-config');
    await fsp.writeFile(
      config,
      [
        '[profile base]',
        `aws_access_key_id = ${BASE.id}`,
        `aws_secret_access_key = ${BASE.secret}`,
        '[profile mid]',
        'role_arn = arn:aws:iam::123456789012:role/mid',
        'source_profile = base',
        '[profile prod]  # the one pgdr uses',
        'role_arn = arn:aws:iam::123456789012:role/prod',
        'source_profile = mid',
        's3 =',
        '  max_concurrent_requests = 4',
        '',
      ].join('\n'),
    );
    const before = fakes.calls.length;
    const r = await roundTrip(env({ AWS_PROFILE: 'prod', AWS_CONFIG_FILE: config }));
    assert.equal(r.source, 'profile prod (role arn:aws:iam::123456789012:role/prod via source_profile mid)');
    assertSignedWithLatest(r.last);
    const assumed = fakes.calls.slice(before).filter((c) => c.action === 'AssumeRole');
    assert.equal(assumed.length, 2);
    assert.equal(assumed[0]?.roleArn, 'arn:aws:iam::123456789012:role/mid');
    assert.equal(assumed[0]?.signedBy, BASE.id, 'the first hop is signed with the base profile keys');
    assert.equal(assumed[1]?.roleArn, 'arn:aws:iam::123456789012:role/prod');
    assert.equal(assumed[1]?.signedBy, fakes.issued.at(-2)?.accessKeyId, 'the second with the mid role keys');
  });

  it('profile with credential_process (Version 1, Expiration)', async () => {
    const keys = {
      accessKeyId: 'ASIAPROCESS000000001',
      secretAccessKey: 'process-secret-0001',
      sessionToken: 'process-token-0001',
    };
    await s3.addKeys(keys);
    const script = join(dir, 'creds.sh');
    const out = {
      Version: 1,
      AccessKeyId: keys.accessKeyId,
      SecretAccessKey: keys.secretAccessKey,
      SessionToken: keys.sessionToken,
      Expiration: new Date(Date.now() + 3_600_000).toISOString(),
    };
    await fsp.writeFile(script, `#!/bin/sh\necho '${JSON.stringify(out)}'\n`, { mode: 0o755 });
    const creds = join(dir, 'aws-credentials');
    await fsp.writeFile(creds, `[default]\ncredential_process = ${script} --profile default\n`);
    const r = await roundTrip(env({ AWS_SHARED_CREDENTIALS_FILE: creds }));
    assert.equal(r.source, 'profile default (credential_process)');
    assert.deepEqual(r.last, { accessKeyId: keys.accessKeyId, sessionToken: keys.sessionToken });
  });

  it('IMDSv2: session token, role name, then the role credentials', async () => {
    const e = env({ AWS_EC2_METADATA_SERVICE_ENDPOINT: fakes.endpoint });
    delete e.AWS_EC2_METADATA_DISABLED;
    const before = fakes.calls.length;
    const r = await roundTrip(e);
    assert.equal(r.source, 'instance metadata role pgdr-instance');
    assertSignedWithLatest(r.last);
    assert.deepEqual(
      fakes.calls.slice(before).map((c) => c.action),
      [
        'PUT /latest/api/token',
        'GET /latest/meta-data/iam/security-credentials/',
        'GET /latest/meta-data/iam/security-credentials/pgdr-instance',
      ],
    );
  });

  /** The error of a put through the chain, checked to carry no secret the fakes or the test know. */
  async function chainError(e: NodeJS.ProcessEnv): Promise<PgdrError> {
    const config = loadConfig({ overrides: { configFile: await configFile() }, env: e, cwd: dir });
    const store = await openStore(config.objectStore);
    const err = await caught(store.put('x', Buffer.from('x')));
    await store.close();
    assert.ok(err instanceof PgdrError);
    const text = JSON.stringify({ m: err.message, h: err.hint, d: err.details, c: String(err.cause) });
    for (const s of [
      OIDC_TOKEN,
      POD_TOKEN,
      BASE.secret,
      ...fakes.issued.flatMap((k) => [k.secretAccessKey, k.sessionToken]),
    ])
      assert.ok(!text.includes(s), `no secret in ${text}`);
    return err;
  }

  it('nothing set up anywhere: STORE_AUTH listing every source tried', async () => {
    const e = env({ AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://127.0.0.1:9' });
    delete e.AWS_EC2_METADATA_DISABLED;
    const err = await chainError(e);
    assert.equal(err.code, 'STORE_AUTH');
    assert.match(err.message, /no AWS credentials found/);
    for (const s of [
      'environment',
      'web identity',
      'container credentials',
      'profile default',
      'instance metadata: http://127.0.0.1:9 did not answer',
    ])
      assert.ok(err.hint?.includes(s), `${s} in ${err.hint}`);
  });

  it('a source that is set up but refused names the source and the reason, never the token', async () => {
    await fsp.writeFile(join(dir, 'wrong-token'), 'not-the-oidc-token');
    const sts = await chainError(
      env({ AWS_WEB_IDENTITY_TOKEN_FILE: join(dir, 'wrong-token'), AWS_ROLE_ARN: ROLE }),
    );
    assert.equal(sts.code, 'STORE_AUTH');
    assert.match(
      sts.message,
      new RegExp(`web identity role ${ROLE}: STS AssumeRoleWithWebIdentity refused: AccessDenied`),
    );
    const missing = await chainError(
      env({ AWS_WEB_IDENTITY_TOKEN_FILE: join(dir, 'absent'), AWS_ROLE_ARN: ROLE }),
    );
    assert.match(missing.message, /cannot read the token file .*absent \(ENOENT\)/);
    const pod = await chainError(
      env({
        AWS_CONTAINER_CREDENTIALS_FULL_URI: `${fakes.endpoint}/container`,
        AWS_CONTAINER_AUTHORIZATION_TOKEN: `${POD_TOKEN}-wrong`,
      }),
    );
    assert.match(
      pod.message,
      /container credentials at .*: .* answered HTTP 401 without credentials: bad authorization token/,
    );
    const remote = await chainError(env({ AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://192.0.2.1/creds' }));
    assert.match(remote.message, /must name a loopback address/);
    const profile = await chainError(
      env({ AWS_PROFILE: 'absent', AWS_CONFIG_FILE: join(dir, 'aws-config') }),
    );
    assert.match(profile.message, /profile absent: no such profile/);
  });

  it('keys from the chain that the store refuses: the hint and pgdr check name their source', async () => {
    const unknown = await startCredentialFakes({
      register: async () => undefined,
      webIdentityToken: OIDC_TOKEN,
    });
    try {
      const e = env({
        AWS_ENDPOINT_URL_STS: unknown.endpoint,
        AWS_WEB_IDENTITY_TOKEN_FILE: join(dir, 'oidc-token'),
        AWS_ROLE_ARN: ROLE,
      });
      const err = await chainError(e);
      assert.equal(err.code, 'STORE_AUTH');
      assert.equal(err.details?.s3Code, 'InvalidAccessKeyId');
      assert.match(err.hint ?? '', new RegExp(`the keys came from web identity role ${ROLE}`));
      const r = await runPgdr(['check', '--config', await configFile(), '--format', 'json'], { env: e });
      const report = JSON.parse(r.stdout) as { checks: { name: string; status: string; finding: string }[] };
      const creds = report.checks.find((c) => c.name === 'credentials');
      assert.equal(creds?.status, 'fail');
      assert.match(creds?.finding ?? '', new RegExp(`\\(credentials from web identity role ${ROLE}\\)$`));
      for (const s of unknown.issued.flatMap((k) => [k.secretAccessKey, k.sessionToken]))
        assert.ok(!r.stdout.includes(s) && !r.stderr.includes(s) && !JSON.stringify(err).includes(s));
    } finally {
      await unknown.stop();
    }
  });

  it('pgdr check names the source used and prints no secret', async () => {
    const r = await runPgdr(['check', '--config', await configFile(), '--format', 'json'], {
      env: env({ AWS_WEB_IDENTITY_TOKEN_FILE: join(dir, 'oidc-token'), AWS_ROLE_ARN: ROLE }),
    });
    const out = r.stdout + r.stderr;
    const report = JSON.parse(r.stdout) as { checks: { name: string; status: string; finding: string }[] };
    const creds = report.checks.find((c) => c.name === 'credentials');
    assert.equal(creds?.status, 'pass');
    assert.equal(creds?.finding, `the store accepted the credentials: web identity role ${ROLE}`);
    for (const s of [OIDC_TOKEN, ...fakes.issued.flatMap((k) => [k.secretAccessKey, k.sessionToken])])
      assert.ok(!out.includes(s), 'no secret in the output');
  });
});
