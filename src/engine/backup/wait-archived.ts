// Waits until PostgreSQL has archived the WAL a backup needs (its last segment and backup history file), as
// pg_backup_stop(wait_for_archive => true) does, but by watching pg_wal/archive_status every 50 ms instead of
// PostgreSQL's once-a-second poll: that poll alone cost 1-2 s per backup. Same rule as XLogArchiveIsBusy.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { parseLsn, walSegmentFromLsn } from '../../catalog/wal-name.js';

export interface WaitArchivedOptions {
  readonly pgdata: string;
  /** WAL file names (segments, `.backup` files) that must be archived. */
  readonly files: readonly string[];
  readonly signal: AbortSignal;
  /** Called every 10 s while still waiting. */
  readonly onSlow?: (waitingFor: readonly string[], seconds: number) => void;
}

/** The files pg_backup_stop waits for: the segment holding the byte before stop, and the history file. */
export function filesToArchive(o: {
  startLsn: string;
  stopLsn: string;
  stopTimeline: number;
  beginWal: string;
  segmentSize: number;
}): string[] {
  const offset = Number(parseLsn(o.startLsn) % BigInt(o.segmentSize));
  const history = `${o.beginWal}.${offset.toString(16).toUpperCase().padStart(8, '0')}.backup`;
  const last = walSegmentFromLsn(parseLsn(o.stopLsn) - 1n, o.stopTimeline, o.segmentSize);
  return [last, history];
}

export async function waitArchived(o: WaitArchivedOptions): Promise<void> {
  const started = Date.now();
  let nextSlow = 10_000;
  for (;;) {
    o.signal.throwIfAborted();
    const busy: string[] = [];
    for (const f of o.files) if (await isBusy(o.pgdata, f)) busy.push(f);
    if (busy.length === 0) return;
    const waited = Date.now() - started;
    if (waited >= nextSlow) {
      nextSlow += 10_000;
      o.onSlow?.(busy, Math.round(waited / 1000));
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function isBusy(pgdata: string, name: string): Promise<boolean> {
  const status = join(pgdata, 'pg_wal', 'archive_status');
  if (await exists(join(status, `${name}.done`))) return false;
  if (await exists(join(status, `${name}.ready`))) return true;
  // The archiver may have just renamed .ready to .done.
  if (await exists(join(status, `${name}.done`))) return false;
  // A file a checkpoint already removed was archived before.
  return exists(join(pgdata, 'pg_wal', name));
}

async function exists(path: string): Promise<boolean> {
  try {
    await fsp.access(path);
    return true;
  } catch {
    return false;
  }
}
