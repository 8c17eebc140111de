// The backup.info keys barman knows, with the loader barman applies to each. We read with barman's own rules
// (FieldListFile.load) so that whatever barman reads, we read the same; unlike barman we accept unknown keys.
import { PgdrError } from '../errors.js';
import { type BackupTime, parseBackupTime } from './backup-time.js';
import { type PyValue, parsePythonLiteral } from './python-literal.js';

export type FieldKind = 'str' | 'int' | 'time' | 'literal' | 'tablespaces' | 'ids';

/** Every key barman 3.4 declares in BackupInfo (the version our interop tests run). */
export const BARMAN_34_FIELDS = [
  'backup_label',
  'backup_name',
  'begin_offset',
  'begin_time',
  'begin_wal',
  'begin_xlog',
  'compression',
  'config_file',
  'copy_stats',
  'deduplicated_size',
  'end_offset',
  'end_time',
  'end_wal',
  'end_xlog',
  'error',
  'hba_file',
  'ident_file',
  'included_files',
  'mode',
  'pgdata',
  'server_name',
  'size',
  'snapshots_info',
  'status',
  'systemid',
  'tablespaces',
  'timeline',
  'version',
  'xlog_segment_size',
] as const;

/**
 * Keys added later (3.11: cluster_size, data_checksums, summarize_wal, parent/children ids; 3.14: encryption).
 * Barman 3.4 cannot read a backup.info holding any of them: it treats the whole file as unreadable.
 */
const BARMAN_NEWER_FIELDS = [
  'children_backup_ids',
  'cluster_size',
  'data_checksums',
  'encryption',
  'parent_backup_id',
  'summarize_wal',
] as const;

/** barman omits these lines when the value is None; every other known key is written, as `None` if unset. */
export const HIDE_IF_NULL: readonly string[] = ['backup_name', 'snapshots_info'];

const KINDS: Readonly<Record<string, FieldKind>> = {
  version: 'int',
  timeline: 'int',
  begin_offset: 'int',
  end_offset: 'int',
  size: 'int',
  deduplicated_size: 'int',
  cluster_size: 'int',
  xlog_segment_size: 'int',
  begin_time: 'time',
  end_time: 'time',
  backup_label: 'literal',
  copy_stats: 'literal',
  included_files: 'literal',
  snapshots_info: 'literal',
  tablespaces: 'tablespaces',
  children_backup_ids: 'ids',
};

export function isKnownField(key: string): boolean {
  return (
    (BARMAN_34_FIELDS as readonly string[]).includes(key) ||
    (BARMAN_NEWER_FIELDS as readonly string[]).includes(key)
  );
}

export function fieldKind(key: string): FieldKind {
  return KINDS[key] ?? 'str';
}

export interface Tablespace {
  readonly name: string;
  readonly oid: number;
  readonly location: string;
}

export type FieldValue =
  | string
  | number
  | BackupTime
  | PyValue
  | readonly Tablespace[]
  | readonly string[]
  | null;

/** Applies barman's loader for the key to a raw value; 'None' is null. Throws CATALOG_INVALID like barman fails. */
export function decodeField(key: string, raw: string): FieldValue {
  if (raw === 'None') return null;
  try {
    switch (fieldKind(key)) {
      case 'int':
        return parsePythonInt(raw);
      case 'time':
        return parseBackupTime(raw);
      case 'literal':
        return parsePythonLiteral(raw);
      case 'tablespaces':
        return decodeTablespaces(raw);
      case 'ids':
        // load_backup_ids: a plain comma split, an empty value is None.
        return raw === '' ? null : raw.split(',');
      default:
        return raw;
    }
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new PgdrError('CATALOG_INVALID', `bad value for ${key}: ${why}`, { cause: e });
  }
}

/** Python int(): optional sign, digits with single underscores between them. */
function parsePythonInt(raw: string): number {
  if (!/^[+-]?\d+(?:_\d+)*$/.test(raw)) throw new Error(`'${raw}' is not an integer`);
  const n = Number(raw.replace(/_/g, ''));
  if (!Number.isSafeInteger(n)) throw new Error(`'${raw}' is too large`);
  return n;
}

// load_tablespace_list: Tablespace._make(item) for each item; an empty list loads as None.
function decodeTablespaces(raw: string): readonly Tablespace[] | null {
  const v = parsePythonLiteral(raw);
  const items = Array.isArray(v) ? v : isSeq(v) ? v.items : undefined;
  if (items === undefined) throw new Error('tablespaces is not a list');
  if (items.length === 0) return null;
  return items.map((item) => {
    const t = Array.isArray(item) ? item : isSeq(item) ? item.items : undefined;
    if (t?.length !== 3) throw new Error('each tablespace needs (name, oid, location)');
    const [name, oid, location] = t;
    // barman does not check the types; we only need an oid that is a number (or a string of digits).
    const oidOk = typeof oid === 'bigint' || (typeof oid === 'string' && /^\d+$/.test(oid));
    if (typeof name !== 'string' || !oidOk || typeof location !== 'string') {
      throw new Error('a tablespace is (str, int, str)');
    }
    return { name, oid: Number(oid), location };
  });
}

function isSeq(v: PyValue | undefined): v is { type: 'tuple'; items: readonly PyValue[] } {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && v.type === 'tuple';
}
