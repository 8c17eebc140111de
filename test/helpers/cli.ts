// Runs the built CLI as a user would: a real process, real stdout/stderr and exit code.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const PGDR_BIN = fileURLToPath(new URL('../../src/cli/bin.js', import.meta.url));
/** The `pgdr` executable itself (package.json bin): what PostgreSQL's archive_command and restore_command run. */
export const PGDR_EXE = fileURLToPath(new URL('../../../bin/pgdr', import.meta.url));
/**
 * The tests run pgdr from this checkout, with no pgdr installed on PATH: the commands pgdr writes into
 * PostgreSQL (restore_command, archive_command) name this checkout's executable, configured explicitly.
 */
export const PGDR_COMMAND_ENV: NodeJS.ProcessEnv = { PGDR_COMMAND: PGDR_EXE };

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export async function runPgdr(
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number; bin?: string; exe?: string } = {},
): Promise<CliResult> {
  // bin: another copy's dist/src/cli/bin.js (an installed package, a scratch install); exe: an executable run
  // as it is (bin/pgdr, bin/kubectl-pgdr).
  const [file, argv] = options.exe
    ? [options.exe, [...args]]
    : [process.execPath, [options.bin ?? PGDR_BIN, ...args]];
  const child = spawn(file, argv, {
    cwd: options.cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...PGDR_COMMAND_ENV, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** Flags and environment that point pgdr at an s3rver bucket. */
export function s3Args(o: { endpoint: string; destination: string; serverName: string }): string[] {
  return ['--endpoint-url', o.endpoint, '--destination-path', o.destination, '--server-name', o.serverName];
}

export function s3Env(o: { accessKeyId: string; secretAccessKey: string }): NodeJS.ProcessEnv {
  return {
    AWS_ACCESS_KEY_ID: o.accessKeyId,
    AWS_SECRET_ACCESS_KEY: o.secretAccessKey,
    AWS_DEFAULT_REGION: 'us-east-1',
  };
}
