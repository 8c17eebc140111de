// Runs the real barman-cloud-* commands (barman-cli-cloud, Python) against an S3 endpoint such as s3rver, so tests
// can prove that what pgdr writes barman reads, and the other way round.
import { spawn } from 'node:child_process';
import { shQuote } from '../../src/shell-quote.js';

export interface S3Endpoint {
  readonly endpoint: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly region?: string;
}

export interface BarmanResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The environment boto3 reads; nothing from the caller's AWS_* leaks in. */
export function barmanEnv(s3: S3Endpoint): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AWS_')) env[k] = v;
  return {
    ...env,
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    AWS_DEFAULT_REGION: s3.region ?? 'us-east-1',
    // boto3 would otherwise ask the EC2 metadata endpoint for a region or credentials when something is missing.
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

/**
 * `barman-cloud-<cmd> --cloud-provider aws-s3 --endpoint-url ... <args>`; cmd may be given with or without the
 * `barman-cloud-` prefix. Resolves with the exit code and output whatever the exit code is.
 */
export function barmanCloud(
  cmd: string,
  args: readonly string[],
  s3: S3Endpoint & { readonly timeoutMs?: number },
): Promise<BarmanResult> {
  const file = cmd.startsWith('barman-cloud-') ? cmd : `barman-cloud-${cmd}`;
  const all = ['--cloud-provider', 'aws-s3', '--endpoint-url', s3.endpoint, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(file, all, {
      env: barmanEnv(s3),
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: s3.timeoutMs ?? 300_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Like barmanCloud but throws, with the command and its stderr, unless it exits 0. */
export async function barmanCloudOk(
  cmd: string,
  args: readonly string[],
  s3: S3Endpoint & { readonly timeoutMs?: number },
): Promise<BarmanResult> {
  const r = await barmanCloud(cmd, args, s3);
  if (r.code !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}\nstderr:\n${r.stderr}\nstdout:\n${r.stdout}`);
  }
  return r;
}

/**
 * An archive_command running barman-cloud-wal-archive. The server runs as another OS user with its own
 * environment, so the credentials travel inline; fine for s3rver's throw-away keys, never for real ones.
 */
export function walArchiveCommand(options: {
  readonly s3: S3Endpoint;
  readonly destination: string;
  readonly serverName: string;
  readonly compression?: 'gzip' | 'bzip2' | 'snappy' | 'none';
}): string {
  const env = barmanEnv(options.s3);
  const vars = [
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_DEFAULT_REGION',
    'AWS_EC2_METADATA_DISABLED',
  ]
    .map((k) => `${k}=${shQuote(env[k] ?? '')}`)
    .join(' ');
  const flag = { gzip: ' -z', bzip2: ' -j', snappy: ' --snappy', none: '' }[options.compression ?? 'gzip'];
  const endpoint = shQuote(options.s3.endpoint);
  const target = `${shQuote(options.destination)} ${shQuote(options.serverName)}`;
  return `${vars} barman-cloud-wal-archive --cloud-provider aws-s3 --endpoint-url ${endpoint}${flag} ${target} %p`;
}
