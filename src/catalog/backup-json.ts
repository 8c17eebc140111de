// The JSON barman-cloud-backup-list/-show print for a backup (BackupInfo.to_json), rebuilt from the raw fields
// so pgdr's `--format json` can be compared key by key with barman's. The reference is barman 3.4 (what our
// interop tests run): every 3.4 field appears (defaults for missing ones), times are ctime() in their own
// offset, backup_label is the repr string, copy_stats/included_files are native, tablespaces lists of lists.
import { BARMAN_34_FIELDS, decodeField, fieldKind, HIDE_IF_NULL, type Tablespace } from './backup-fields.js';
import type { BackupInfo } from './backup-info.js';
import { type BackupTime, formatCtime, formatIsoTime } from './backup-time.js';
import { type PyValue, pyToJson, pythonRepr } from './python-literal.js';
import { DEFAULT_SEGMENT_SIZE } from './wal-name.js';

export interface BackupJsonOptions {
  /**
   * Add begin_time_iso/end_time_iso (isoformat()), as newer barman does (3.17 has them, 3.4 does not).
   * A naive time renders with +00:00 here, where barman would print its local offset.
   */
  readonly isoTimes?: boolean;
}

// Field defaults of barman's BackupInfo for keys missing from the file.
const DEFAULTS: Readonly<Record<string, unknown>> = {
  status: 'EMPTY',
  xlog_segment_size: DEFAULT_SEGMENT_SIZE,
};

export function backupToJson(info: BackupInfo, options: BackupJsonOptions = {}): Record<string, unknown> {
  const keys = new Set<string>([...BARMAN_34_FIELDS, ...info.fields.keys()]);
  const out: Record<string, unknown> = {};
  const times: Array<[string, BackupTime]> = [];
  for (const key of [...keys].sort()) {
    const raw = info.fields.get(key);
    const decoded = raw === undefined ? undefined : decodeField(key, raw);
    if ((decoded === undefined || decoded === null) && HIDE_IF_NULL.includes(key)) continue;
    if (decoded === undefined) {
      out[key] = DEFAULTS[key] ?? null;
      continue;
    }
    if (decoded === null) {
      out[key] = null;
      continue;
    }
    switch (fieldKind(key)) {
      case 'time':
        out[key] = formatCtime(decoded as BackupTime);
        times.push([key, decoded as BackupTime]);
        break;
      case 'tablespaces':
        out[key] = (decoded as readonly Tablespace[]).map((t) => [t.name, t.oid, t.location]);
        break;
      case 'literal':
        // backup_label goes through null_repr (repr, or None when falsy); the others stay native in to_dict().
        if (key === 'backup_label')
          out[key] = pyTruthy(decoded as PyValue) ? pythonRepr(decoded as PyValue) : null;
        else out[key] = pyToJson(decoded as PyValue);
        break;
      case 'ids':
        // Newer barman dumps children_backup_ids back to its comma-joined text.
        out[key] = raw;
        break;
      default:
        out[key] = decoded;
    }
  }
  out['backup_id'] = info.backupId;
  if (options.isoTimes) for (const [key, t] of times) out[`${key}_iso`] = formatIsoTime(t);
  return out;
}

/** `barman-cloud-backup-list --format json`: every backup whatever its status, sorted by id. */
export function backupListJson(
  backups: readonly BackupInfo[],
  options: BackupJsonOptions = {},
): { backups_list: unknown[] } {
  const sorted = [...backups].sort((a, b) =>
    a.backupId < b.backupId ? -1 : a.backupId > b.backupId ? 1 : 0,
  );
  return { backups_list: sorted.map((b) => backupToJson(b, options)) };
}

/** `barman-cloud-backup-show --format json`: keyed by the backup's server_name ('cloud' for cloud backups). */
export function backupShowJson(info: BackupInfo, options: BackupJsonOptions = {}): Record<string, unknown> {
  // json.dumps writes a None key as "null".
  return { [info.serverName ?? 'null']: backupToJson(info, options) };
}

function pyTruthy(v: PyValue): boolean {
  if (v === null || v === false || v === '' || v === 0 || v === 0n) return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return v.type === 'tuple' ? v.items.length > 0 : v.entries.length > 0;
  return true;
}
