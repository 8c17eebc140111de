// A standby created by `pgdr replica create` with IRSA credentials only (web identity through a loopback STS):
// its restore_command is written without any key, and PostgreSQL's `pgdr wal restore` finds the keys itself
// from the environment the server inherits. No secret or session token lands in the data folder.
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { archivingPrimary } from '../helpers/archiving-primary.js';
import { type CredentialFakes, startCredentialFakes } from '../helpers/aws-credential-fakes.js';
import { switchWalAndWait } from '../helpers/barman-bucket.js';
import { runPgdr } from '../helpers/cli.js';
import { q, until } from '../helpers/poll.js';
import type { TestPostgres } from '../helpers/postgres.js';
import { filesHolding, stopAllRestored, stopPgCtl } from '../helpers/restore-run.js';
import { type S3rverHandle, startS3rver } from '../helpers/s3rver.js';

const BUCKET = 'chainrep';
const ROLE = 'arn:aws:iam::123456789012:role/pgdr-standby';
const OIDC_TOKEN = 'standby-oidc-token-value';

describe('a standby whose restore_command uses the AWS credential chain', () => {
  let s3: S3rverHandle;
  let fakes: CredentialFakes;
  let root: string;
  let primary: TestPostgres;
  let standby: { pgCtl: string; pgdata: string } | undefined;

  before(async () => {
    s3 = await startS3rver({ buckets: [BUCKET] });
    fakes = await startCredentialFakes({ register: (k) => s3.addKeys(k), webIdentityToken: OIDC_TOKEN });
    root = await fsp.mkdtemp(join(tmpdir(), 'pgdr-chain-rep-'));
    await fsp.chmod(root, 0o755);
    ({ primary } = await archivingPrimary({ s3, bucket: BUCKET, root, serverName: 'prim' }));
  });
  after(async () => {
    if (standby) await stopPgCtl(standby.pgCtl, standby.pgdata).catch(() => undefined);
    await stopAllRestored();
    await primary?.cleanup();
    await fakes?.stop();
    await s3?.stop();
    if (root) await fsp.rm(root, { recursive: true, force: true });
  });

  it('follows the archive with keys it fetches itself; none is written to disk', async () => {
    // The server runs as the postgres OS user: the token file must be readable by it.
    await fsp.writeFile(join(root, 'oidc-token'), OIDC_TOKEN, { mode: 0o644 });
    const cfg = join(root, 'chain.yaml');
    await fsp.writeFile(
      cfg,
      [
        'serverName: prim',
        'objectStore:',
        `  destinationPath: s3://${BUCKET}/dr`,
        `  endpointURL: ${s3.endpoint}`,
        '  s3Credentials: {inheritFromIAMRole: true}',
        '',
      ].join('\n'),
      { mode: 0o644 },
    );
    const env = {
      XDG_STATE_HOME: join(root, 'state'),
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_STS: fakes.endpoint,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_WEB_IDENTITY_TOKEN_FILE: join(root, 'oidc-token'),
      AWS_ROLE_ARN: ROLE,
    };
    const dir = join(root, 'standby');
    const r = await runPgdr(['replica', 'create', dir, '--config', cfg, '--format', 'json'], {
      env,
      timeoutMs: 300_000,
    });
    assert.equal(r.code, 0, r.stderr);
    const state = JSON.parse(r.stdout);
    standby = { pgCtl: state.pgCtl, pgdata: state.pgdata };
    const keysBefore = fakes.issued.length;
    await primary.query('INSERT INTO t SELECT generate_series(101, 250)');
    await switchWalAndWait(primary);
    await until('the standby to replay the new rows', async () => {
      const rows = await q<{ n: string }>(state.connectionString, 'SELECT count(*) AS n FROM t');
      return Number(rows[0]?.n) === 250 ? true : undefined;
    });
    assert.ok(fakes.issued.length > keysBefore, 'the restore_command fetched keys of its own from STS');
    const used = await s3.keysUsed();
    const last = fakes.issued[fakes.issued.length - 1]!;
    assert.ok(used.some((u) => u.accessKeyId === last.accessKeyId && u.sessionToken === last.sessionToken));
    const secrets = [OIDC_TOKEN, ...fakes.issued.flatMap((k) => [k.secretAccessKey, k.sessionToken])];
    for (const s of secrets) assert.deepEqual(await filesHolding(dir, s), [], 'no key in the data folder');
  });
});
