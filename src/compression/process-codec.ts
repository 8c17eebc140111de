// bzip2, xz, zstd and lz4 run as the Debian CLIs behind pipes: native speed, no npm dependency, and the formats
// are exactly what the reference tools (and so barman's Python modules) produce and read. Each call is one
// process, which yields a single zstd/lz4 frame and a single bzip2/xz stream, as barman's readers expect.
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { createRequire } from 'node:module';
import { Transform, type TransformCallback } from 'node:stream';
import { PgdrError } from '../errors.js';

export interface ToolCommand {
  readonly tool: 'bzip2' | 'xz' | 'zstd' | 'lz4';
  readonly args: readonly string[];
  readonly decompress: boolean;
}

const PACKAGE: Record<ToolCommand['tool'], string> = {
  bzip2: 'bzip2',
  xz: 'xz-utils',
  zstd: 'zstd',
  lz4: 'lz4',
};

function codecMissing(tool: ToolCommand['tool'], cause?: unknown): PgdrError {
  return new PgdrError(
    'CODEC_MISSING',
    `the '${tool}' command is not installed (needed for ${tool} compression)`,
    {
      hint: `apt-get install ${PACKAGE[tool]}`,
      cause,
    },
  );
}

// node:child_process costs ~10 ms to load; `pgdr wal archive` with gzip never needs it, so load it on first use.
let spawnFn: typeof import('node:child_process').spawn | undefined;
function spawn(
  ...args: Parameters<typeof import('node:child_process').spawn>
): ChildProcessWithoutNullStreams {
  spawnFn ??= (createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process'))
    .spawn;
  return spawnFn(...args) as ChildProcessWithoutNullStreams;
}

export class ProcessCodec extends Transform {
  private readonly child: ChildProcessWithoutNullStreams;
  private stderr = '';
  private exited: Promise<number | null>;
  private failure: Error | undefined;

  constructor(private readonly cmd: ToolCommand) {
    super();
    this.child = spawn(cmd.tool, [...cmd.args], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code) => resolve(code));
      this.child.on('error', (e) => {
        this.fail((e as NodeJS.ErrnoException).code === 'ENOENT' ? codecMissing(cmd.tool, e) : e);
        resolve(null);
      });
    });
    this.child.stderr.setEncoding('utf8').on('data', (s: string) => {
      if (this.stderr.length < 4096) this.stderr += s;
    });
    // EPIPE when the tool dies early: the exit code tells the real story.
    this.child.stdin.on('error', () => {});
    this.child.stdout.on('data', (d: Buffer) => {
      if (!this.push(d)) this.child.stdout.pause();
    });
  }

  override _read(size: number): void {
    this.child.stdout.resume();
    super._read(size);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this.failure) cb(this.failure);
    else if (this.child.stdin.write(chunk)) cb();
    else this.child.stdin.once('drain', () => cb());
  }

  override _flush(cb: TransformCallback): void {
    this.child.stdin.end();
    const stdoutDone = new Promise<void>((resolve) => {
      if (this.child.stdout.readableEnded) resolve();
      else this.child.stdout.once('end', resolve).once('close', resolve);
    });
    Promise.all([this.exited, stdoutDone]).then(([code]) => cb(this.failure ?? this.exitError(code)), cb);
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
    cb(err);
  }

  private fail(e: Error): void {
    this.failure ??= e;
    this.destroy(e);
  }

  private exitError(code: number | null): Error | null {
    if (code === 0) return null;
    const what = `${this.cmd.tool} ${this.cmd.args.join(' ')} exited ${code}: ${this.stderr.trim()}`;
    // A tool failing while decompressing means the object is not valid data of that format.
    return this.cmd.decompress
      ? new PgdrError('CATALOG_INVALID', `cannot decompress: ${what}`)
      : new PgdrError('INTERNAL', `compression failed: ${what}`);
  }
}
