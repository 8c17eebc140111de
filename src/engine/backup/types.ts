// Plain options in, plain result out: the engine reads no environment and prints nothing.
import type { Compression } from '../../compression/suffixes.js';
import type { ServerTarget } from '../../storage/object-store.js';

export interface CreateBackupOptions extends ServerTarget {
  /** libpq URI or key=value string. */
  readonly connection: string;
  /** Where pgdr reads the data directory; default: PostgreSQL's data_directory. */
  readonly pgdata?: string | undefined;
  readonly compression: Compression;
  /** Codec level; default 1 for gzip (speed: the backup is read once, stored once). */
  readonly compressionLevel?: number | undefined;
  /** Tars compressed and uploaded at once. */
  readonly jobs: number;
  readonly immediateCheckpoint: boolean;
  readonly backupName?: string | undefined;
  /** How long to wait for the backup's WAL to be archived; default DEFAULT_ARCHIVE_WAIT. */
  readonly archiveWait?: Partial<ArchiveWait> | undefined;
  /**
   * The folder of a file:// destination. Run as root, the folders the backup needs there are made beforehand
   * and handed to the server's OS user, whose archive_command writes <server>/wals (see repo-folders.ts).
   */
  readonly fileRepository?: string | undefined;
  readonly onProgress?: ((p: BackupProgress) => void) | undefined;
  /**
   * Upload only the files that changed since the parent (the newest DONE backup of this cluster and timeline,
   * or `from`), under <server>/pgdr/incremental/<id>/.
   */
  readonly incremental?:
    | {
        readonly from?: string | undefined;
        /** 'file': never block level, even where the WAL summaries would allow it. */
        readonly level?: 'file' | 'block' | undefined;
        /** With no parent to start from (and no `from`), take a full backup instead of refusing. */
        readonly orFull?: boolean | undefined;
      }
    | undefined;
  /** Test seam: the clock that names the backup. */
  readonly now?: () => Date;
}

export interface ArchiveWait {
  /** The whole wait for the end WAL ends after this long (--wait-archive-timeout). */
  readonly budgetMs: number;
  /** How long archive failures must go on before the backup gives up (see archiver-watch.ts). */
  readonly failureGraceMs: number;
}

export const DEFAULT_ARCHIVE_WAIT: ArchiveWait = { budgetMs: 10 * 60_000, failureGraceMs: 60_000 };

export type BackupPhase = 'connect' | 'start' | 'copy' | 'stop' | 'finish';

export interface BackupProgress {
  readonly phase: BackupPhase;
  readonly backupId?: string;
  /** File bytes read so far and in total (copy phase). */
  readonly bytesDone: number;
  readonly bytesTotal: number;
  /** Compressed bytes handed to the store so far. */
  readonly bytesStored: number;
  readonly message?: string;
}

interface StoredObject {
  readonly key: string;
  /** Bytes of file data in the tar. */
  readonly dataBytes: number;
  /** Compressed size as stored. */
  readonly storedBytes: number;
  readonly files: number;
}

export interface BackupResult {
  readonly backupId: string;
  readonly backupName: string | null;
  readonly beginWal: string;
  readonly endWal: string;
  readonly beginLsn: string;
  readonly endLsn: string;
  readonly objects: readonly StoredObject[];
  readonly dataBytes: number;
  readonly storedBytes: number;
  /** Seconds spent in each phase. */
  readonly timings: Readonly<Record<BackupPhase, number>>;
  readonly totalSeconds: number;
  readonly incremental?: IncrementalSummary;
  /** An incremental was asked for with `orFull` and no parent existed: this is a full backup. */
  readonly fullInsteadOfIncremental?: true;
}

interface IncrementalSummary {
  readonly parentBackupId: string;
  /** The full backup first, this backup last. */
  readonly chain: readonly string[];
  /** 'block' when the WAL summaries covered the range (PostgreSQL 17+, summarize_wal = on). */
  readonly level: 'file' | 'block';
  /** Why the backup stayed file level. */
  readonly fallbackReason?: string;
  /** Relation files uploaded as changed blocks: their count, their whole size and what was stored of them. */
  readonly blockFiles: number;
  readonly blockFileBytes: number;
  readonly blockBytes: number;
  /** Files left in earlier backups of the chain, and their bytes. */
  readonly referencedFiles: number;
  readonly referencedBytes: number;
}
