// The WAL service's spool: one folder per WAL folder (`<pg_wal>/.pgdr-wal`), one protocol, read by three
// parties: the service (service.ts) writes it, the CLI's `wal archive`/`wal restore` (client.ts) and the thin
// client bin/pgdr read it. docs/wal-service.md describes it for operators.
//
//   request     what the spool was filled for, one item a line: "pgdr-wal 1", the epoch (postmaster.pid's
//               first and third lines, the postmaster's pid and start time, joined by a space; "" without a
//               running server), the configuration file named by --config or PGDR_CONFIG ("" for none), then
//               the request key (the command, archive or restore, the caller's working folder, PGDR_CONFIG,
//               the number of its options, the options: cli/wal-request.ts).
//   config      a copy of that configuration file as read: a changed file (a ConfigMap update) voids the spool.
//   done/X      a hard link to the WAL file X, made only after X is durably stored in the bucket: `X -ef
//               done/X` (same inode) is the file PostgreSQL asks about. Used up by the call it answers.
//   want/X      an archive request for X (content: X's absolute path) the service takes before any .ready.
//   failed/X    the service could not store X (content: the error): the caller archives X itself.
//   ready/X     a prefetched segment, complete and fsynced; the thin client moves it to DEST.
//   restore-at  the last segment name restore_command asked for: the service prefetches the ones after it.
//   lock        the service's pid; its mtime is the service's heartbeat.
//
// Anything a party cannot decide goes to the slower path: the thin client to node, node to the bucket.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export const SPOOL_NAME = '.pgdr-wal';
export const REQUEST_HEADER = 'pgdr-wal 1';

export interface SpoolRequest {
  /** postmaster.pid's pid and start time in the caller's working folder, or "". */
  readonly epoch: string;
  /** The configuration file named by --config or PGDR_CONFIG, as given; "" when none was named. */
  readonly configPath: string;
  /** Lines the thin client rebuilds from its own call (see cli/wal-request.ts); opaque here. */
  readonly key: readonly string[];
}

export const spoolPaths = (spool: string) => ({
  request: join(spool, 'request'),
  config: join(spool, 'config'),
  done: join(spool, 'done'),
  want: join(spool, 'want'),
  failed: join(spool, 'failed'),
  ready: join(spool, 'ready'),
  restoreAt: join(spool, 'restore-at'),
  lock: join(spool, 'lock'),
});

/** Every line ends in a newline, so that sh's `read` sees each one and then the end. */
export function formatRequest(r: SpoolRequest): string {
  return [REQUEST_HEADER, r.epoch, r.configPath, ...r.key].map((l) => `${l}\n`).join('');
}

/** The epoch of a server whose data directory is `cwd`: postmaster.pid's pid and start time, or "". */
export async function epochOf(cwd: string): Promise<string> {
  const text = await readFile(join(cwd, 'postmaster.pid'), 'utf8').catch(() => '');
  const lines = text.split('\n');
  return lines.length >= 3 ? `${lines[0]} ${lines[2]}` : '';
}

/**
 * True when the spool was filled for exactly this request: same request file, and the configuration file (if
 * one is named) has the content the service read.
 */
export async function spoolServes(spool: string, r: SpoolRequest): Promise<boolean> {
  const p = spoolPaths(spool);
  const [written, copy] = await Promise.all([
    readFile(p.request, 'utf8').catch(() => undefined),
    r.configPath === '' ? undefined : readFile(p.config).catch(() => undefined),
  ]);
  if (written !== formatRequest(r)) return false;
  if (r.configPath === '') return true;
  const now = await readFile(r.configPath).catch(() => undefined);
  return copy !== undefined && now?.equals(copy) === true;
}

/** Refuses a request the thin client could not compare line by line. */
export function requestWritable(r: SpoolRequest): boolean {
  return [r.epoch, r.configPath, ...r.key].every((l) => !l.includes('\n'));
}
