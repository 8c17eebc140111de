// Start-up cost of the AWS credential chain: `pgdr wal archive` of one small file (a timeline history file, so
// the call is all start-up and one upload; the executable PostgreSQL runs, bin/pgdr), with static keys and with keys from each chain source against the loopback fakes of
// test/helpers/aws-credential-fakes.ts (STS for web identity, the container endpoint, IMDSv2). Every call is a
// fresh process, as archive_command is: the chain is resolved once per call.
// Usage: node dist/bench/credential-chain.js [--runs 20]
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startCredentialFakes } from '../test/helpers/aws-credential-fakes.js';
import { PGDR_EXE } from '../test/helpers/cli.js';
import { startS3rver } from '../test/helpers/s3rver.js';

const { values } = parseArgs({ options: { runs: { type: 'string' } } });
const RUNS = Number(values.runs ?? 20);
const BUCKET = 'bench';

const s3 = await startS3rver({ buckets: [BUCKET] });
const fakes = await startCredentialFakes({
  register: (k) => s3.addKeys(k),
  webIdentityToken: 'bench-oidc-token',
  containerToken: 'bench-pod-token',
  instanceRole: 'bench-role',
});
const dir = await mkdtemp(join(tmpdir(), 'pgdr-bench-chain-'));
await writeFile(join(dir, 'oidc'), 'bench-oidc-token');
await writeFile(
  join(dir, 'pgdr.yaml'),
  JSON.stringify({
    serverName: 'bench',
    objectStore: {
      destinationPath: `s3://${BUCKET}/wal`,
      endpointURL: s3.endpoint,
      wal: { compression: 'none' },
    },
  }),
);

const base = {
  PATH: process.env.PATH ?? '',
  HOME: dir,
  AWS_REGION: 'us-east-1',
  AWS_EC2_METADATA_DISABLED: 'true',
};
const cases: [string, Record<string, string>][] = [
  [
    'static keys (AWS_ACCESS_KEY_ID)',
    { AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey },
  ],
  [
    'web identity (STS AssumeRoleWithWebIdentity)',
    {
      AWS_ENDPOINT_URL_STS: fakes.endpoint,
      AWS_WEB_IDENTITY_TOKEN_FILE: join(dir, 'oidc'),
      AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/bench',
    },
  ],
  [
    'container credentials (Pod Identity)',
    {
      AWS_CONTAINER_CREDENTIALS_FULL_URI: `${fakes.endpoint}/container`,
      AWS_CONTAINER_AUTHORIZATION_TOKEN: 'bench-pod-token',
    },
  ],
  [
    'instance metadata (IMDSv2)',
    { AWS_EC2_METADATA_DISABLED: 'false', AWS_EC2_METADATA_SERVICE_ENDPOINT: fakes.endpoint },
  ],
];

await mkdir(join(dir, 'pg_wal'));

async function archive(env: Record<string, string>, n: number): Promise<number> {
  const file = join(dir, 'pg_wal', `${(n + 2).toString(16).toUpperCase().padStart(8, '0')}.history`);
  await writeFile(file, `1\t0/3000000\tno recovery target specified\n`);
  const t = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(PGDR_EXE, ['wal', 'archive', '--config', join(dir, 'pgdr.yaml'), file], {
      env: { ...base, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d));
    child.on('close', (code) =>
      code === 0
        ? resolve(Number(process.hrtime.bigint() - t) / 1e6)
        : reject(new Error(`exit ${code}: ${err}`)),
    );
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
console.log(`pgdr wal archive of one history file, ${RUNS} runs per source (interleaved), loopback fakes`);
const times = new Map<string, number[]>(cases.map(([label]) => [label, []]));
let n = 0;
try {
  for (const [, env] of cases) await archive(env, n++); // warm the page cache
  // Interleaved, so a busy moment of the machine weighs on every source alike.
  for (let i = 0; i < RUNS; i++)
    for (const [label, env] of cases) times.get(label)?.push(await archive(env, n++));
  for (const [label, ms] of times) {
    const row = `median ${median(ms).toFixed(0).padStart(5)} ms   min ${Math.min(...ms)
      .toFixed(0)
      .padStart(5)} ms`;
    console.log(`${label.padEnd(46)} ${row}`);
  }
} finally {
  await fakes.stop();
  await s3.stop();
  await rm(dir, { recursive: true, force: true });
}
