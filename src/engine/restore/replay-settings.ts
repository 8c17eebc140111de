// Settings for the recovery start only: passed as -c options to the pg_ctl start that replays, never written to
// postgresql.auto.conf, so the server runs on the data folder's own configuration after its next restart.
// Command-line values outlive a reload (SIGHUP), so each must be harmless on the running server until then.
// Measured and left out (bench/restore, PostgreSQL 17): a larger shared_buffers made replay slower (the
// segment is zeroed and faulted in, and stays allocated until the restart), and maintenance_io_concurrency /
// wal_decode_buffer_size changed nothing measurable: the extracted data is still in the page cache.
// bgwriter_lru_maxpages=0 made replay faster still, but would leave the running server without its background
// writer until the restart.

export interface ReplaySettingsInput {
  /** Server major version (15, 17, ...). */
  readonly major: number;
  /** WAL segments the plan replays. */
  readonly segments: number;
  readonly segmentBytes?: number;
  /** The host's platform (postgres/platform.ts HOST_PLATFORM): syncfs exists on Linux only. */
  readonly platform: string;
}

const MiB = 1024 * 1024;
/** PostgreSQL's default max_wal_size; below it we never pass one (the data folder's own may be larger). */
const DEFAULT_MAX_WAL_MIB = 1024;
/** Restored segments stay in pg_wal until a restartpoint: at most about half of this for the whole replay. */
const CAP_MAX_WAL_MIB = 8192;

/**
 * - recovery_init_sync_method=syncfs (PostgreSQL 14+): one syncfs per file system at start-up instead of an
 *   fsync per file; the files were just written by the restore.
 * - max_wal_size: a restartpoint mid-replay writes and fsyncs every dirty buffer, and the end-of-recovery
 *   checkpoint waits for it. Restartpoints come every max_wal_size / (1 + checkpoint_completion_target) of
 *   WAL, so twice the planned range (plus the default) fits it, up to CAP_MAX_WAL_MIB.
 * - recovery_prefetch=off (PostgreSQL 15+): the prefetcher asks the kernel for every block the WAL refers to,
 *   and they are all in the page cache, just extracted. Off, redo took ~15% less time (bench/restore). It only
 *   matters during recovery.
 */
export function replaySettings(o: ReplaySettingsInput): Record<string, string> {
  const out: Record<string, string> = {};
  // Only builds with syncfs(2), Linux ones, know the value; elsewhere it would stop the server from starting.
  if (o.major >= 14 && o.platform === 'linux') out.recovery_init_sync_method = 'syncfs';
  if (o.major >= 15) out.recovery_prefetch = 'off';
  const rangeMiB = Math.ceil((o.segments * (o.segmentBytes ?? 16 * MiB)) / MiB);
  const want = Math.min(2 * rangeMiB + DEFAULT_MAX_WAL_MIB, CAP_MAX_WAL_MIB);
  if (want > DEFAULT_MAX_WAL_MIB) out.max_wal_size = `${want}MB`;
  return out;
}
