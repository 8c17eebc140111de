// What `pgdr backup verify` finds, as plain data: the CLI renders it, the verify record stores a summary of it.
import type { BackupCatalog } from '../../catalog/backup-catalog.js';
import type { ServerTarget } from '../../storage/object-store.js';

type FindingKind = 'object' | 'tar' | 'manifest' | 'page' | 'control';

export interface Finding {
  readonly kind: FindingKind;
  /** The object's key in the bucket. */
  readonly key: string;
  /** The tar member (file name), when the finding is about one. */
  readonly member: string | null;
  /** The block number within the relation fork, for a page. */
  readonly block: number | null;
  readonly message: string;
}

interface TarSummary {
  readonly key: string;
  readonly compression: string;
  readonly storedBytes: number;
  readonly members: number;
  readonly files: number;
  /** Bytes of file data in the tar. */
  readonly bytes: number;
  /** Members that are relation files (whose pages carry checksums). */
  readonly relationFiles: number;
  readonly ok: boolean;
}

export interface PageSummary {
  /** 'checked': every page was checked; 'off': the cluster has no data checksums; 'not-checked': see notes. */
  readonly state: 'checked' | 'off' | 'not-checked';
  readonly blockSize: number | null;
  readonly relationFiles: number;
  readonly checked: number;
  readonly failed: number;
  /** All-zero pages: new, never written. */
  readonly skippedNew: number;
  /** pd_lsn at or after the backup's start: written during the backup, replayed from WAL on restore. */
  readonly skippedChanged: number;
  /** Relation files the manifest marks as shrunk while copied (zero-padded). */
  readonly skippedTruncatedFiles: number;
  /** Files whose size is not a whole number of pages: their last partial page. */
  readonly partialTails: number;
}

export interface BackupVerifyReport {
  readonly backupId: string;
  readonly serverName: string;
  readonly status: string;
  /** 'pgdr' when the backup has a pgdr manifest, 'barman' otherwise. */
  readonly writer: 'pgdr' | 'barman';
  readonly result: 'pass' | 'fail';
  /** Something could not be checked (the notes say what). */
  readonly partial: boolean;
  readonly startedAt: string;
  readonly finishedAt: string;
  /** Objects read: backup.info, the manifest, every tar. */
  readonly objects: number;
  readonly storedBytes: number;
  readonly files: number;
  readonly bytes: number;
  readonly manifestChecked: boolean;
  readonly pages: PageSummary;
  readonly tars: readonly TarSummary[];
  /** How many failures were found; `failures` holds the first ones. */
  readonly failureCount: number;
  readonly failures: readonly Finding[];
  readonly warnings: readonly Finding[];
  /** Why the verification is partial, in words for a DBA. */
  readonly notes: readonly string[];
}

interface VerifyProgress {
  readonly backupId: string;
  /** Stored (compressed) bytes read so far, and in all the backup's tars. */
  readonly bytesDone: number;
  readonly bytesTotal: number;
}

export interface VerifyBackupOptions extends ServerTarget {
  /** Tars read at once. */
  readonly jobs: number;
  readonly onProgress?: ((p: VerifyProgress) => void) | undefined;
  /**
   * The backup is a pgdr incremental (under pgdr/incremental/): its chain is checked too (every link present,
   * DONE and holding the files the incremental takes from it), against this catalog of fulls and incrementals.
   */
  readonly chainCatalog?: BackupCatalog | undefined;
}
