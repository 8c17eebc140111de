// The backup.info barman-cloud-backup 3.4 writes: every key barman 3.4 declares (None when unset) except the
// hidden-when-null backup_name/snapshots_info. Newer keys (cluster_size, data_checksums, ...) are left out on
// purpose: barman 3.4 refuses a whole backup.info holding one of them.
import { BARMAN_34_FIELDS, HIDE_IF_NULL } from '../../catalog/backup-fields.js';
import { serializeBackupInfo } from '../../catalog/backup-info.js';
import { type PyValue, pyDict, pyTuple, pythonRepr } from '../../catalog/python-literal.js';
import { parseLsn, walSegmentFromLsn } from '../../catalog/wal-name.js';
import type { ServerMetadata, StartInfo, StopInfo } from './pg-backup-api.js';

export interface CopyStats {
  readonly totalSeconds: number;
  readonly workers: number;
  /** Per tar name ('data', OID): wall time of its upload and the sum of its parts' times. */
  readonly perItem: ReadonlyMap<string, { copySeconds: number; serializedSeconds: number }>;
  readonly copySeconds: number;
  readonly serializedSeconds: number;
}

export interface BackupInfoInput {
  readonly status: 'DONE' | 'FAILED' | 'STARTED';
  readonly meta?: ServerMetadata;
  readonly systemId?: string;
  readonly start?: StartInfo;
  readonly stop?: StopInfo;
  readonly backupName?: string;
  readonly error?: string;
  readonly copyStats?: CopyStats;
  /** An incremental backup's parent (barman's field for the same relation). */
  readonly parentBackupId?: string;
  /**
   * An incremental's level and why it fell back to file level: keys barman never reads (barman-cloud never
   * lists pgdr's incrementals), so `backup list` and `status` show them without reading the chain document.
   */
  readonly incrementalLevel?: string;
  readonly fallbackReason?: string;
}

export function backupInfoText(i: BackupInfoInput): string {
  const f = new Map<string, string>();
  const set = (k: string, v: string | number | null | undefined) => f.set(k, v == null ? 'None' : String(v));
  for (const k of BARMAN_34_FIELDS) if (!HIDE_IF_NULL.includes(k)) set(k, null);
  const m = i.meta;
  if (m) {
    set('pgdata', m.dataDirectory);
    set('version', m.versionNum);
    set('xlog_segment_size', m.segmentSize);
    set('config_file', m.configFile);
    set('hba_file', m.hbaFile);
    set('ident_file', m.identFile);
    if (m.includedFiles) set('included_files', pythonRepr([...m.includedFiles]));
    if (m.tablespaces.length > 0) {
      const list = m.tablespaces.map((t) => pyTuple(t.name, BigInt(t.oid), t.location));
      set('tablespaces', pythonRepr(list));
    }
  } else {
    // barman's Field default for xlog_segment_size.
    set('xlog_segment_size', 16 * 1024 * 1024);
  }
  set('systemid', i.systemId ?? m?.systemId);
  set('server_name', 'cloud');
  set('status', i.status);
  const seg = m?.segmentSize ?? 16 * 1024 * 1024;
  if (i.start) {
    set('begin_time', i.start.time);
    set('begin_xlog', i.start.lsn);
    set('timeline', i.start.timeline);
    set('begin_wal', walSegmentFromLsn(i.start.lsn, i.start.timeline, seg));
    set('begin_offset', Number(parseLsn(i.start.lsn) % BigInt(seg)));
  }
  if (i.stop) {
    set('backup_label', pythonRepr(i.stop.labelFile));
    set('end_time', i.stop.time);
    set('end_xlog', i.stop.lsn);
    set('end_wal', walSegmentFromLsn(i.stop.lsn, i.stop.timeline, seg));
    set('end_offset', Number(parseLsn(i.stop.lsn) % BigInt(seg)));
  }
  if (i.copyStats) set('copy_stats', pythonRepr(copyStatsValue(i.copyStats)));
  if (i.error !== undefined) set('error', oneLine(i.error));
  if (i.backupName !== undefined) set('backup_name', i.backupName);
  if (i.parentBackupId !== undefined) set('parent_backup_id', i.parentBackupId);
  if (i.incrementalLevel !== undefined) set('pgdr_incremental_level', i.incrementalLevel);
  if (i.fallbackReason !== undefined) set('pgdr_fallback_reason', oneLine(i.fallbackReason));
  return serializeBackupInfo(f);
}

// Same keys and order as CloudUploadController.statistics(); times are Python floats, counts ints.
function copyStatsValue(s: CopyStats): PyValue {
  const per = (pick: (v: { copySeconds: number; serializedSeconds: number }) => PyValue) =>
    pyDict([...s.perItem].map(([k, v]) => [k, pick(v)] as const));
  return pyDict([
    ['total_time', s.totalSeconds],
    ['number_of_workers', BigInt(s.workers)],
    ['analysis_time', 0n],
    ['analysis_time_per_item', per(() => 0n)],
    ['copy_time_per_item', per((v) => v.copySeconds)],
    ['serialized_copy_time_per_item', per((v) => v.serializedSeconds)],
    ['copy_time', s.copySeconds],
    ['serialized_copy_time', s.serializedSeconds],
  ]);
}

function oneLine(s: string): string {
  return s.split(/\r?\n/)[0]!.trim();
}
