// Creates a cluster owned by the server user. Authentication is trust: pgdr's own servers (restores, drills,
// tests) listen on 127.0.0.1 only, with the Unix socket in a folder only the server user can enter.
import { promises as fsp } from 'node:fs';
import { PgdrError } from '../errors.js';
import type { PostgresBinaries } from './binaries.js';
import { chownToServerUser, resolveServerUser, runAsServerUser, type ServerUser } from './os-user.js';

export interface InitdbOptions {
  readonly bin: PostgresBinaries;
  readonly pgdata: string;
  /** The database superuser; default `postgres`. */
  readonly user?: string;
  /** Default: the server user when we are root, else ourselves. */
  readonly runAs?: ServerUser | null;
  readonly dataChecksums?: boolean;
  /** initdb --wal-segsize (MiB, a power of two from 1 to 1024); default 16. */
  readonly walSegmentSizeMb?: number;
  /** Skips fsync: only for throw-away clusters. */
  readonly noSync?: boolean;
}

export async function initdb(options: InitdbOptions): Promise<void> {
  const runAs = options.runAs === undefined ? await resolveServerUser() : options.runAs;
  const existing = await fsp.readdir(options.pgdata).catch(() => [] as string[]);
  if (existing.length > 0) {
    throw new PgdrError('DIR_NOT_EMPTY', `cannot initdb into ${options.pgdata}: it is not empty`, {
      hint: 'choose an empty or missing folder',
    });
  }
  await fsp.mkdir(options.pgdata, { recursive: true, mode: 0o700 });
  await chownToServerUser(options.pgdata, runAs);
  const args = [
    '-D',
    options.pgdata,
    '-U',
    options.user ?? 'postgres',
    '--locale=C',
    '-E',
    'UTF8',
    '--auth=trust',
  ];
  if (options.dataChecksums) args.push('--data-checksums');
  if (options.walSegmentSizeMb !== undefined) args.push(`--wal-segsize=${options.walSegmentSizeMb}`);
  if (options.noSync) args.push('--no-sync');
  const r = await runAsServerUser({ file: options.bin.initdb, args, user: runAs, timeoutMs: 300_000 });
  if (r.code !== 0) {
    throw new PgdrError(
      'POSTGRES_ERROR',
      `initdb (PostgreSQL ${options.bin.version}) failed for ${options.pgdata}`,
      {
        hint: lastLines(`${r.stdout}\n${r.stderr}`, 15),
      },
    );
  }
}

export function lastLines(text: string, n: number): string {
  return text.trimEnd().split('\n').slice(-n).join('\n');
}
