// A long-running `pgdr agent` whose only credentials are IRSA's (web identity through a loopback STS) that
// expire after 20 seconds: s3rver refuses each key once it expires, as S3 does (its clock 2 s ahead). The
// agent fetches new keys well before the old ones expire, so over several rotations every backup completes
// and no request is ever signed with an expired key.
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type AgentProcess, startAgent } from '../helpers/agent-process.js';
import { type CredentialFakes, startCredentialFakes } from '../helpers/aws-credential-fakes.js';
import { PGDR_BIN } from '../helpers/cli.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { type S3rverHandle, startS3rver } from '../helpers/s3rver.js';

const BUCKET = 'rotation';
const LIFETIME_MS = 20_000;
const SKEW_MS = 2_000;
const ROLE = 'arn:aws:iam::123456789012:role/pgdr-agent';
const OIDC_TOKEN = 'rotation-test-oidc-token';

describe('pgdr agent across credential rotations', () => {
  let s3: S3rverHandle;
  let fakes: CredentialFakes;
  let pg: TestPostgres;
  let dir: string;
  let agent: AgentProcess | undefined;

  before(async () => {
    s3 = await startS3rver({ buckets: [BUCKET] });
    fakes = await startCredentialFakes({
      lifetimeMs: LIFETIME_MS,
      webIdentityToken: OIDC_TOKEN,
      register: async (k) => {
        await s3.addKeys(k);
        // The store's clock runs 2 s ahead of ours: what SDKs refresh early for. Keys still used at their
        // very last moment would be refused.
        setTimeout(() => s3.expireKeys(k.accessKeyId), LIFETIME_MS - SKEW_MS).unref();
      },
    });
    dir = await mkdtemp(join(tmpdir(), 'pgdr-rotation-'));
    await chmod(dir, 0o755);
    // WAL is archived with static keys: what is under test is the agent's own chain.
    await writeFile(join(dir, 'key-id'), s3.accessKeyId, { mode: 0o644 });
    await writeFile(join(dir, 'secret'), s3.secretAccessKey, { mode: 0o644 });
    const store = (creds: string) =>
      ['objectStore:', `  destinationPath: s3://${BUCKET}/pgdr`, `  endpointURL: ${s3.endpoint}`, creds].join(
        '\n',
      );
    const staticKeys = `  s3Credentials: {accessKeyId: {file: ${join(dir, 'key-id')}}, secretAccessKey: {file: ${join(dir, 'secret')}}}`;
    await writeFile(join(dir, 'wal.yaml'), `serverName: pg\n${store(staticKeys)}\n`, { mode: 0o644 });
    pg = await startPostgres({
      major: 17,
      archiveCommand: `${process.execPath} ${PGDR_BIN} wal archive --config ${join(dir, 'wal.yaml')} %p`,
    });
    await writeFile(join(dir, 'oidc-token'), OIDC_TOKEN);
    await writeFile(
      join(dir, 'agent.yaml'),
      [
        'serverName: pg',
        'retentionPolicy: REDUNDANCY 2',
        'schedule: "*/3 * * * * *"',
        store('  s3Credentials: {inheritFromIAMRole: true}'),
        '  data: {immediateCheckpoint: true}',
        'postgres:',
        `  connection: ${pg.connectionString}`,
        `  pgdata: ${pg.pgdata}`,
        'agent:',
        `  stateFile: ${join(dir, 'state.json')}`,
        '  retentionPolicyIntervalSeconds: 5',
        '',
      ].join('\n'),
    );
  });
  after(async () => {
    await agent?.stop('SIGKILL');
    await pg?.cleanup();
    await fakes?.stop();
    await s3?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('re-fetches keys before they expire and no upload fails', async () => {
    agent = startAgent(join(dir, 'agent.yaml'), {
      HOME: dir,
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_STS: fakes.endpoint,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_WEB_IDENTITY_TOKEN_FILE: join(dir, 'oidc-token'),
      AWS_ROLE_ARN: ROLE,
    });
    await agent.waitFor((e) => e.event === 'agent.start');
    // Three sets of keys: the first two were each replaced before they expired.
    while (fakes.issued.length < 3) {
      const n = agent.events.length;
      await agent.waitFor((e) => e.event === 'backup.done', { from: n, timeoutMs: 60_000 });
    }
    const third = fakes.issued[2]!;
    const n = agent.events.length;
    await agent.waitFor((e) => e.event === 'backup.done', { from: n, timeoutMs: 60_000 });
    await agent.stop();

    const errors = agent.events.filter((e) => e.level === 'error');
    assert.deepEqual(errors, [], 'no job failed');
    const used = await s3.keysUsed();
    assert.deepEqual(
      used.filter((u) => u.expired),
      [],
      'no request was signed with keys that had expired',
    );
    for (const k of fakes.issued.slice(0, 3))
      assert.ok(
        used.some((u) => u.accessKeyId === k.accessKeyId && u.sessionToken === k.sessionToken),
        `keys ${k.accessKeyId} were used with their session token`,
      );
    assert.ok(used.some((u) => u.accessKeyId === third.accessKeyId));
    const stsCalls = fakes.calls.filter((c) => c.action === 'AssumeRoleWithWebIdentity');
    assert.equal(stsCalls.length, fakes.issued.length, 'one STS call per set of keys: fetches are shared');
    const log = JSON.stringify(agent.events) + agent.stderr();
    for (const k of fakes.issued) {
      assert.ok(!log.includes(k.secretAccessKey) && !log.includes(k.sessionToken), 'no secret in the log');
    }
    assert.ok(!log.includes(OIDC_TOKEN));
  });
});
