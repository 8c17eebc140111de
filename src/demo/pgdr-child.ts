// Every pgdr step of the demo runs the real CLI, as the server's OS user (the one archive_command runs as), so
// the store has a single owner and the demo shows exactly what an operator would type.
import { spawn } from 'node:child_process';
import { PgdrError } from '../errors.js';
import { PGDR_NODE_ENTRY } from '../pgdr-executable.js';
import { type ServerUser, serverSpawnOptions } from '../postgres/os-user.js';

export interface ChildResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface PgdrRunnerOptions {
  readonly user: ServerUser | null;
  readonly env: NodeJS.ProcessEnv;
  readonly signal: AbortSignal;
}

export class PgdrRunner {
  constructor(private readonly o: PgdrRunnerOptions) {}

  /** The command line as an operator would type it, for the demo's output. */
  static show(args: readonly string[]): string {
    return `$ pgdr ${args.map((a) => (/^[\w./:=@,+-]+$/.test(a) ? a : `'${a}'`)).join(' ')}`;
  }

  run(args: readonly string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<ChildResult> {
    this.o.signal.throwIfAborted();
    const child = spawn(process.execPath, [PGDR_NODE_ENTRY, ...args], {
      ...serverSpawnOptions(this.o.user, { ...this.o.env, ...extraEnv }),
      stdio: ['ignore', 'pipe', 'pipe'],
      // The server user may not be allowed into our working directory.
      cwd: '/',
    });
    // Ctrl-C on a terminal reaches the child too; a SIGTERM to the demo alone must not leave it running.
    const onAbort = () => child.kill('SIGTERM');
    this.o.signal.addEventListener('abort', onAbort, { once: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => {
      stdout += b.toString();
    });
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    return new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code) => {
        this.o.signal.removeEventListener('abort', onAbort);
        resolve({ code, stdout, stderr });
      });
    });
  }

  /** Runs a `--format json` command that must succeed (exit 0, or one of okCodes) and parses its output. */
  async json<T>(args: readonly string[], options: { okCodes?: number[]; env?: NodeJS.ProcessEnv } = {}) {
    const r = await this.run(args, options.env);
    this.o.signal.throwIfAborted();
    const ok = r.code === 0 || (r.code !== null && (options.okCodes ?? []).includes(r.code));
    let value: T | undefined;
    try {
      value = JSON.parse(r.stdout) as T;
    } catch {
      value = undefined;
    }
    if (!ok || value === undefined) {
      throw new PgdrError('DRILL_FAILED', `pgdr ${args.slice(0, 2).join(' ')} exited with ${r.code}`, {
        hint: r.stderr.trim().split('\n').slice(-6).join('\n') || r.stdout.trim().slice(-600),
      });
    }
    return { code: r.code, value };
  }
}
