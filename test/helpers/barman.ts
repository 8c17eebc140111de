// Runs the real barman-cloud-* commands (barman-cli-cloud, Python) against an S3 endpoint such as s3rver, or Azure
// Blob Storage on Azurite through a connection string, so tests can prove that what pgdr writes barman reads, and
// the other way round.
import { spawn } from 'node:child_process';
import { shQuote } from '../../src/shell-quote.js';

export interface S3Endpoint {
  readonly endpoint: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly region?: string;
}

/** Azure Blob Storage (Azurite): barman-cloud reads AZURE_STORAGE_CONNECTION_STRING, and needs it for an emulator. */
export interface AzureEndpoint {
  readonly azureConnectionString: string;
  /** http://127.0.0.1:PORT/ACCOUNT: destinations are SERVICE/CONTAINER/PATH (the emulator form). */
  readonly azureService: string;
}

/** Where barman-cloud reads and writes. */
export type BarmanStore = S3Endpoint | AzureEndpoint;

const isAzure = (s: BarmanStore): s is AzureEndpoint => 'azureConnectionString' in s;

/** The destination path of bucket (container) and prefix: s3://BUCKET/PREFIX or SERVICE/CONTAINER/PREFIX. */
export function destinationOf(store: BarmanStore, bucket: string, prefix: string): string {
  const base = isAzure(store) ? `${store.azureService}/${bucket}` : `s3://${bucket}`;
  return prefix ? `${base}/${prefix}` : base;
}

/** The provider flags of every barman-cloud command. */
function providerArgs(store: BarmanStore): string[] {
  return isAzure(store)
    ? ['--cloud-provider', 'azure-blob-storage']
    : ['--cloud-provider', 'aws-s3', '--endpoint-url', store.endpoint];
}

export interface BarmanResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The environment boto3 (or the Azure SDK) reads; nothing from the caller's AWS_* or AZURE_* leaks in. */
export function barmanEnv(store: BarmanStore): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(AWS|AZURE)_/.test(k)) env[k] = v;
  if (isAzure(store)) return { ...env, AZURE_STORAGE_CONNECTION_STRING: store.azureConnectionString };
  return {
    ...env,
    AWS_ACCESS_KEY_ID: store.accessKeyId,
    AWS_SECRET_ACCESS_KEY: store.secretAccessKey,
    AWS_DEFAULT_REGION: store.region ?? 'us-east-1',
    // boto3 would otherwise ask the EC2 metadata endpoint for a region or credentials when something is missing.
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

/**
 * `barman-cloud-<cmd> --cloud-provider aws-s3 --endpoint-url ... <args>` (or azure-blob-storage); cmd may be
 * given with or without the `barman-cloud-` prefix. Resolves with the exit code and output whatever it is.
 */
export function barmanCloud(
  cmd: string,
  args: readonly string[],
  s3: BarmanStore & { readonly timeoutMs?: number },
): Promise<BarmanResult> {
  const file = cmd.startsWith('barman-cloud-') ? cmd : `barman-cloud-${cmd}`;
  const all = [...providerArgs(s3), ...args];
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
  s3: BarmanStore & { readonly timeoutMs?: number },
): Promise<BarmanResult> {
  const r = await barmanCloud(cmd, args, s3);
  if (r.code !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}\nstderr:\n${r.stderr}\nstdout:\n${r.stdout}`);
  }
  return r;
}

/**
 * A barman-cloud command line for PostgreSQL to run (archive_command, restore_command). The server runs as another
 * OS user with its own environment, so the credentials travel inline; fine for the test servers' throw-away keys,
 * never for real ones.
 */
export function barmanShellCommand(store: BarmanStore, cmd: string, args: readonly string[]): string {
  const env = barmanEnv(store);
  const names = isAzure(store)
    ? ['AZURE_STORAGE_CONNECTION_STRING']
    : ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_DEFAULT_REGION', 'AWS_EC2_METADATA_DISABLED'];
  const vars = names.map((k) => `${k}=${shQuote(env[k] ?? '')}`).join(' ');
  // %p and %f are PostgreSQL's placeholders: left unquoted for it to substitute.
  const words = [...providerArgs(store), ...args].map((a) => (/^%[pf]$/.test(a) ? a : shQuote(a)));
  return `${vars} barman-cloud-${cmd} ${words.join(' ')}`;
}

/** An archive_command running barman-cloud-wal-archive. */
export function walArchiveCommand(options: {
  readonly s3: BarmanStore;
  readonly destination: string;
  readonly serverName: string;
  readonly compression?: 'gzip' | 'bzip2' | 'snappy' | 'none';
}): string {
  const flag = { gzip: ['-z'], bzip2: ['-j'], snappy: ['--snappy'], none: [] }[options.compression ?? 'gzip'];
  return barmanShellCommand(options.s3, 'wal-archive', [
    ...flag,
    options.destination,
    options.serverName,
    '%p',
  ]);
}

/** A restore_command running barman-cloud-wal-restore. */
export function walRestoreCommand(store: BarmanStore, destination: string, serverName: string): string {
  return barmanShellCommand(store, 'wal-restore', [destination, serverName, '%f', '%p']);
}
