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
//   absent/X    the history file X (the next timeline's, or replay's own) was not in the bucket when the
//               service looked, less than ABSENT_CHECK_MS ago: removed before each lookup, so never older
//               while the service (its pid in lock) lives. The thin client answers "not found" from it only
//               then; node never reads it.
//   lock        the service's pid; its mtime is the service's heartbeat.
//   seed/X      a segment a restore fetched before its server started (while the base backup was extracted),
//               complete and fsynced. Never served from here: the first service of the folder moves it to
//               ready/ if seed/request describes its own store, serverName and configuration, and removes seed/
//               whatever it finds.
//   seed/request what the seed was fetched for, one item a line: "pgdr-wal-seed 1", the store (its display
//               URL), the serverName, the configuration file restore_command names. Written last: a seed
//               without it is incomplete and never adopted.
//   seed/config a copy of that configuration file as the restore wrote it.
//
// Anything a party cannot decide goes to the slower path: the thin client to node, node to the bucket.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export const SPOOL_NAME = '.pgdr-wal';
const REQUEST_HEADER = 'pgdr-wal 1';
const SEED_HEADER = 'pgdr-wal-seed 1';
/** Prefetched segments the spool holds at most: WINDOW_DEPTH x maxParallel, never more than WINDOW_MAX. */
const WINDOW_DEPTH = 4;
const WINDOW_MAX = 32;
/** How often the service looks the history files of absent/ up again. */
export const ABSENT_CHECK_MS = 1000;

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
  absent: join(spool, 'absent'),
  lock: join(spool, 'lock'),
  seed: join(spool, 'seed'),
  seedRequest: join(spool, 'seed', 'request'),
  seedConfig: join(spool, 'seed', 'config'),
});

/** How many segments ahead of replay the spool holds (the seed included) for this wal.maxParallel. */
export function prefetchWindow(maxParallel: number): number {
  return Math.min(WINDOW_MAX, maxParallel * WINDOW_DEPTH);
}

/** What a seed's segments are: the objects of this store and serverName, for this configuration file. */
export interface SeedRequest {
  /** The store's display URL (bucket, prefix and a custom endpoint; never credentials). */
  readonly store: string;
  readonly serverName: string;
  /** The configuration file restore_command names, resolved. */
  readonly configPath: string;
}

export function formatSeedRequest(s: SeedRequest): string {
  return [SEED_HEADER, s.store, s.serverName, s.configPath].map((l) => `${l}\n`).join('');
}

/**
 * True when the spool's seed is complete and was fetched for this store, serverName and configuration file,
 * which still has the content the restore wrote.
 */
export async function seedServes(spool: string, s: SeedRequest): Promise<boolean> {
  const p = spoolPaths(spool);
  const [written, copy, now] = await Promise.all([
    readFile(p.seedRequest, 'utf8').catch(() => undefined),
    readFile(p.seedConfig).catch(() => undefined),
    s.configPath === '' ? undefined : readFile(s.configPath).catch(() => undefined),
  ]);
  return written === formatSeedRequest(s) && copy !== undefined && now?.equals(copy) === true;
}

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
