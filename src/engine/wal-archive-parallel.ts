// Parallel archiving the way CloudNativePG's archiver does it: PostgreSQL calls archive_command one file at a
// time, so the call for X also uploads the next `.ready` files and leaves a marker for each one stored. When
// PostgreSQL then asks for one of them, the marker (matching the file's identity) answers at once.
// Markers are written only after the object is stored, so a marker never claims a segment that is not.
import { readdir, unlink } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { isWalName } from '../catalog/wal-name.js';
import { limiter } from '../common/map-limit.js';
import { fileIdentity } from './file-identity.js';
import { type ArchiveFileOptions, type ArchiveFileResult, archiveFile } from './wal-archive.js';
import { consumeMarker, MARKER_DIR, writeMarker } from './wal-archive-marker.js';

export { MARKER_DIR };

export interface ArchiveWalOptions extends ArchiveFileOptions {
  /** Files per call, this one included (wal.maxParallel). */
  readonly maxParallel: number;
  /** This call's fingerprint (cli/call-fingerprint.ts), kept in the markers of the files uploaded ahead. */
  readonly fingerprint: string;
}

export interface ArchiveWalResult extends Omit<ArchiveFileResult, 'outcome'> {
  readonly outcome: ArchiveFileResult['outcome'] | 'stored-earlier';
  /** The next .ready files this call uploaded too (or failed to: PostgreSQL will retry them itself). */
  readonly ahead: readonly { name: string; error?: string }[];
}

export async function archiveWal(path: string, o: ArchiveWalOptions): Promise<ArchiveWalResult> {
  if (o.maxParallel <= 1) return { ...(await archiveFile(path, o)), ahead: [] };
  const walDir = dirname(path);
  const statusDir = join(walDir, 'archive_status');
  const markers = join(statusDir, MARKER_DIR);
  const name = basename(path);
  const early = await consumeMarker(path, o.fingerprint);
  if (early) return { name, key: early, outcome: 'stored-earlier', bytes: 0, ahead: [] };

  const next = await nextReady(statusDir, markers, name, o.maxParallel - 1);
  // As many compressions as cores: they then finish one after another and each upload overlaps the next
  // compressions, instead of all finishing together and leaving the CPU idle while the uploads run.
  const each = { ...o, compressSlot: limiter(availableParallelism()) };
  const aheadJobs = next.map(async (n) => {
    const p = join(walDir, n);
    try {
      const before = await fileIdentity(p);
      const r = await archiveFile(p, each);
      await writeMarker(p, { identity: before, key: r.key, fingerprint: o.fingerprint });
      return { name: n };
    } catch (e) {
      return { name: n, error: (e as Error).message };
    }
  });
  // The file PostgreSQL asked for decides the exit code; the others only save later calls.
  const ahead = Promise.all(aheadJobs);
  try {
    return { ...(await archiveFile(path, each)), ahead: await ahead };
  } catch (e) {
    // Let the uploads ahead finish (and leave their markers) rather than race the next call.
    await ahead;
    throw e;
  }
}

/** PostgreSQL's order: history files first, then the oldest name; minus this call's own file and done ones. */
async function nextReady(statusDir: string, markers: string, self: string, max: number): Promise<string[]> {
  if (max <= 0) return [];
  const [entries, marked] = await Promise.all([
    readdir(statusDir).catch(() => [] as string[]),
    readdir(markers).catch(() => [] as string[]),
  ]);
  const ready = new Set(entries.filter((e) => e.endsWith('.ready')).map((e) => e.slice(0, -'.ready'.length)));
  // Markers whose .ready is gone belong to files PostgreSQL no longer wants archived, and temp files are left
  // by a crash (nothing else writes here now: one archive_command at a time, uploads ahead not started yet).
  await Promise.all(
    marked
      .filter((m) => m.startsWith('.') || !ready.has(m))
      .map((m) => unlink(join(markers, m)).catch(() => {})),
  );
  const done = new Set(marked);
  const rank = (n: string) => (n.endsWith('.history') ? 0 : 1);
  return [...ready]
    .filter((n) => n !== self && isWalName(n) && !done.has(n))
    .sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, max);
}
