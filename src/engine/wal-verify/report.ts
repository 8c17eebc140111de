// What `pgdr wal verify` reports: counts per timeline and every failure, naming the object and where in it.

export interface WalVerifyFailure {
  readonly key: string;
  readonly timeline: number;
  /** The LSN of the damaged page or record, when the failure has one. */
  readonly lsn?: string;
  /** Byte offset of that LSN in the decompressed object. */
  readonly offset?: number;
  readonly message: string;
}

export interface TimelineCounts {
  readonly timeline: number;
  readonly segments: number;
  readonly partials: number;
  readonly historyFiles: number;
  readonly backupLabels: number;
  /** WAL records whose CRC was checked. */
  readonly records: number;
  /** Objects with at least one failure. */
  readonly bad: number;
  /** Records crossing the edge of the archive (their other part is not in it), so not checked. */
  readonly unchecked: number;
}

export interface WalVerifyReport {
  readonly serverName: string;
  readonly timeline: number | null;
  readonly segmentSize: number;
  /** Where the segment size and the expected system identifier and major came from. */
  readonly reference: string;
  readonly systemIdentifier: string | null;
  readonly postgresMajor: number | null;
  readonly timelines: readonly TimelineCounts[];
  readonly failures: readonly WalVerifyFailure[];
  /** Objects under wals/ that are not WAL files where barman looks for them: not checked. */
  readonly skipped: readonly { readonly key: string; readonly reason: string }[];
  readonly ok: boolean;
}

export interface WalVerifyProgress {
  readonly done: number;
  readonly total: number;
  /** Stored (compressed) bytes of the objects done. */
  readonly bytes: number;
  readonly failures: number;
}
