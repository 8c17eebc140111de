// backup.info: one `key=value` line per field (sec. 2 of the format doc). The typed record is for reading; the
// raw `fields` map is what gets written back, so a parse -> serialize round trip reproduces the bytes.
import { PgdrError } from '../errors.js';
import { decodeField, type FieldValue, isKnownField, type Tablespace } from './backup-fields.js';
import { readFieldLines } from './backup-info-text.js';
import type { BackupTime } from './backup-time.js';
import type { PyValue } from './python-literal.js';
import { DEFAULT_SEGMENT_SIZE } from './wal-name.js';

export type { Tablespace } from './backup-fields.js';
export { readFieldLines, serializeBackupInfo } from './backup-info-text.js';
export type { BackupTime } from './backup-time.js';

/** The body of `annotations/keep`. */
export type KeepTarget = 'full' | 'standalone';

export const BACKUP_ID_RE = /^\d{8}T\d{6}$/;

export interface BackupInfo {
  /** The folder name under base/: backup.info itself does not hold it. */
  readonly backupId: string;
  /** DONE, FAILED, STARTED, WAITING_FOR_WALS, SYNCING; 'EMPTY' when the key is missing (barman's default), 'None' when the file says None. */
  readonly status: string;
  readonly beginTime: BackupTime | null;
  readonly endTime: BackupTime | null;
  readonly beginWal: string | null;
  readonly endWal: string | null;
  readonly beginXlog: string | null;
  readonly endXlog: string | null;
  readonly beginOffset: number | null;
  readonly endOffset: number | null;
  readonly timeline: number | null;
  /** server_version_num, e.g. 160004. */
  readonly version: number | null;
  /** A string: system identifiers exceed 2^53. */
  readonly systemid: string | null;
  readonly backupName: string | null;
  /** 'cloud' for everything barman-cloud-backup writes. */
  readonly serverName: string | null;
  /** barman's default (16 MiB) when the key is missing. */
  readonly xlogSegmentSize: number;
  readonly tablespaces: readonly Tablespace[] | null;
  readonly error: string | null;
  /** The label text (the literal decoded), or null. */
  readonly backupLabel: string | null;
  readonly dataChecksums: string | null;
  readonly summarizeWal: string | null;
  readonly clusterSize: number | null;
  readonly size: number | null;
  readonly deduplicatedSize: number | null;
  readonly pgdata: string | null;
  readonly configFile: string | null;
  readonly hbaFile: string | null;
  readonly identFile: string | null;
  readonly includedFiles: readonly string[] | null;
  readonly copyStats: PyValue | null;
  /** Set only for snapshot backups (which have no tars). */
  readonly snapshotsInfo: PyValue | null;
  readonly mode: string | null;
  readonly compression: string | null;
  readonly parentBackupId: string | null;
  readonly childrenBackupIds: readonly string[] | null;
  readonly encryption: string | null;
  /** From annotations/keep; filled in by the catalog (null from parseBackupInfo). */
  readonly keep: KeepTarget | null;
  /**
   * The raw body of annotations/keep, or null when there is none. barman keeps (never deletes) a backup when
   * the object exists at all, whatever its body, so retention must test this rather than `keep`.
   */
  readonly keepAnnotation: string | null;
  /** Every key read, in file order, with its raw (stripped) value; 'None' stays 'None'. */
  readonly fields: ReadonlyMap<string, string>;
  /** Keys no barman version declares (kept, and written back, but barman itself would refuse the file). */
  readonly unknownKeys: readonly string[];
  /** Oddities worth telling a user, e.g. a time without a zone. */
  readonly notes: readonly string[];
}

/**
 * The largest backup.info read. barman's are a few KiB (the backup label and copy statistics are the long
 * values); only a file listing thousands of tablespaces could come near this.
 */
export const MAX_BACKUP_INFO_BYTES = 1024 * 1024;

export function parseBackupInfo(text: string | Uint8Array, backupId: string): BackupInfo {
  const bytes = typeof text === 'string' ? Buffer.byteLength(text, 'utf8') : text.byteLength;
  if (bytes > MAX_BACKUP_INFO_BYTES) {
    throw new PgdrError('CATALOG_INVALID', `backup.info of ${backupId} is too large (${bytes} bytes)`, {
      hint: `a backup.info is a few KiB: pgdr reads at most ${MAX_BACKUP_INFO_BYTES} bytes`,
    });
  }
  let fields: Map<string, string>;
  const decoded = new Map<string, FieldValue>();
  try {
    fields = readFieldLines(text);
    for (const [key, raw] of fields) decoded.set(key, decodeField(key, raw));
  } catch (e) {
    if (e instanceof PgdrError) {
      // The message may quote a long value: keep its start and the reason at its end.
      const why = e.message.length > 300 ? `${e.message.slice(0, 200)}...${e.message.slice(-80)}` : e.message;
      throw new PgdrError('CATALOG_INVALID', `backup.info of ${backupId}: ${why}`, {
        cause: e,
        hint: e.hint,
      });
    }
    throw e;
  }
  const notes: string[] = [];
  const str = (k: string): string | null => asString(decoded.get(k));
  const int = (k: string): number | null =>
    typeof decoded.get(k) === 'number' ? (decoded.get(k) as number) : null;
  const time = (k: string): BackupTime | null => {
    const t = (decoded.get(k) ?? null) as BackupTime | null;
    if (t?.naive) notes.push(`${k} '${t.raw}' has no time zone: read as UTC (barman uses its local zone)`);
    return t;
  };
  const label = decoded.get('backup_label') ?? null;
  if (label !== null && typeof label !== 'string') notes.push('backup_label is not a string literal');
  const included = decoded.get('included_files') ?? null;
  const includedOk = Array.isArray(included) && included.every((f) => typeof f === 'string');
  if (included !== null && !includedOk) notes.push('included_files is not a list of strings');
  return {
    backupId,
    status: str('status') ?? (fields.has('status') ? 'None' : 'EMPTY'),
    beginTime: time('begin_time'),
    endTime: time('end_time'),
    beginWal: str('begin_wal'),
    endWal: str('end_wal'),
    beginXlog: str('begin_xlog'),
    endXlog: str('end_xlog'),
    beginOffset: int('begin_offset'),
    endOffset: int('end_offset'),
    timeline: int('timeline'),
    version: int('version'),
    systemid: str('systemid'),
    backupName: str('backup_name'),
    serverName: str('server_name'),
    xlogSegmentSize: fields.has('xlog_segment_size')
      ? (int('xlog_segment_size') ?? DEFAULT_SEGMENT_SIZE)
      : DEFAULT_SEGMENT_SIZE,
    tablespaces: (decoded.get('tablespaces') ?? null) as readonly Tablespace[] | null,
    error: str('error'),
    backupLabel: typeof label === 'string' ? label : null,
    dataChecksums: str('data_checksums'),
    summarizeWal: str('summarize_wal'),
    clusterSize: int('cluster_size'),
    size: int('size'),
    deduplicatedSize: int('deduplicated_size'),
    pgdata: str('pgdata'),
    configFile: str('config_file'),
    hbaFile: str('hba_file'),
    identFile: str('ident_file'),
    includedFiles: includedOk ? (included as string[]) : null,
    copyStats: (decoded.get('copy_stats') ?? null) as PyValue | null,
    snapshotsInfo: (decoded.get('snapshots_info') ?? null) as PyValue | null,
    mode: str('mode'),
    compression: str('compression'),
    parentBackupId: str('parent_backup_id'),
    childrenBackupIds: (decoded.get('children_backup_ids') ?? null) as readonly string[] | null,
    encryption: str('encryption'),
    keep: null,
    keepAnnotation: null,
    fields,
    unknownKeys: [...fields.keys()].filter((k) => !isKnownField(k)),
    notes,
  };
}

function asString(v: FieldValue | undefined): string | null {
  return typeof v === 'string' ? v : null;
}
