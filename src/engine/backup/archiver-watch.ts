// Watches pg_stat_archiver while a backup waits for its WAL, so that a failing archive_command ends the wait
// with its failure instead of stalling it for ever (pg_backup_stop's own wait never gives up, and says nothing).
//
// The rule: the archiver failed at least ARCHIVE_RETRIES times since the wait began (one whole round of
// PostgreSQL's retries), archived nothing since the first of those failures, and its failures span at least the
// grace period. PostgreSQL retries a failed segment about once a minute, so a 60 s grace lets a second round
// fail before the backup is given up: a blip of the store does not cost a whole backup.
import type pg from 'pg';
import { queryError } from '../../postgres/connect.js';
import { archiverFacts } from '../../verify/archiver-checks.js';

/** PostgreSQL's NUM_ARCHIVE_RETRIES: the archiver tries a segment this many times, then sleeps. */
const ARCHIVE_RETRIES = 3;

export interface ArchiverSample {
  readonly archivedCount: number;
  readonly lastArchivedWal: string | null;
  readonly lastArchivedTime: Date | null;
  readonly failedCount: number;
  readonly lastFailedWal: string | null;
  readonly lastFailedTime: Date | null;
}

export async function sampleArchiver(client: pg.Client): Promise<ArchiverSample> {
  try {
    const a = await archiverFacts(client);
    return {
      archivedCount: Number(a.archived_count),
      lastArchivedWal: a.last_archived_wal,
      lastArchivedTime: a.last_archived_time,
      failedCount: Number(a.failed_count),
      lastFailedWal: a.last_failed_wal,
      lastFailedTime: a.last_failed_time,
    };
  } catch (e) {
    throw queryError('reading pg_stat_archiver', e);
  }
}

export class FailureWatch {
  private baseFailed: number;
  private firstFailed: Date | undefined;
  private latest: ArchiverSample;

  constructor(
    start: ArchiverSample,
    private readonly graceMs: number,
  ) {
    this.baseFailed = start.failedCount;
    this.latest = start;
  }

  /** The last sample seen. */
  get last(): ArchiverSample {
    return this.latest;
  }

  /** Failures since the wait began, or since the archiver last archived something. */
  get failures(): number {
    return this.latest.failedCount - this.baseFailed;
  }

  /** Takes a new sample; true when the archiver keeps failing by the rule above. */
  observe(s: ArchiverSample): boolean {
    const progress = s.archivedCount > this.latest.archivedCount;
    // Counters going down: someone ran pg_stat_reset_shared('archiver'); count from here.
    const reset = s.archivedCount < this.latest.archivedCount || s.failedCount < this.latest.failedCount;
    this.latest = s;
    if (progress || reset) {
      this.baseFailed = s.failedCount;
      this.firstFailed = undefined;
      return false;
    }
    if (this.failures <= 0 || s.lastFailedTime === null) return false;
    this.firstFailed ??= s.lastFailedTime;
    const span = s.lastFailedTime.getTime() - this.firstFailed.getTime();
    return this.failures >= ARCHIVE_RETRIES && span >= this.graceMs;
  }
}
