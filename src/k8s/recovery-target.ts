// bootstrap.recovery.recoveryTarget from flags, checked before it reaches the operator: a malformed target
// otherwise surfaces only as a recovery that never ends or ends at the wrong place.
import { PgdrError } from '../errors.js';

export interface RecoveryTarget {
  readonly targetTime?: string;
  readonly targetLSN?: string;
  readonly targetXID?: string;
  readonly targetName?: string;
  readonly targetImmediate?: boolean;
  /** Which base backup to start from; combines with one of the targets above. */
  readonly backupID?: string;
  readonly targetTLI?: string;
  /** Stop just before the target instead of just after it. */
  readonly exclusive?: boolean;
}

const TIME = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2}(?:\.\d+)?)\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;
const STOP_TARGETS = ['targetTime', 'targetLSN', 'targetXID', 'targetName', 'targetImmediate'] as const;

function bad(message: string, hint: string): PgdrError {
  return new PgdrError('USAGE', message, { hint });
}

/** RFC 3339 with an explicit zone: CloudNativePG reads a time without zone as UTC, say so in the manifest. */
function normalizeTargetTime(text: string): string {
  const m = TIME.exec(text.trim());
  const hint = 'give a time like 2024-12-15T12:00:00Z or "2024-12-15 12:00:00+01" (no zone means UTC)';
  if (!m) throw bad(`--target-time '${text}' is not a date and time`, hint);
  let zone = (m[3] ?? 'Z').toUpperCase();
  if (zone !== 'Z') zone = zone.length === 3 ? `${zone}:00` : zone.replace(/^([+-]\d{2})(\d{2})$/, '$1:$2');
  const out = `${m[1]}T${m[2]}${zone}`;
  if (Number.isNaN(Date.parse(out))) throw bad(`--target-time '${text}' is not a valid date`, hint);
  return out;
}

export function checkRecoveryTarget(t: RecoveryTarget): RecoveryTarget | undefined {
  const stops = STOP_TARGETS.filter((k) => t[k] !== undefined && t[k] !== false);
  if (stops.length > 1) {
    throw bad(`choose one recovery target, not ${stops.join(' and ')}`, 'PostgreSQL stops at one target');
  }
  if (t.targetLSN !== undefined && !/^[0-9A-F]{1,8}\/[0-9A-F]{1,8}$/i.test(t.targetLSN))
    throw bad(`--target-lsn '${t.targetLSN}' is not an LSN`, 'an LSN looks like 0/7000028');
  if (t.targetXID !== undefined && !/^[1-9][0-9]*$/.test(t.targetXID))
    throw bad(`--target-xid '${t.targetXID}' is not a transaction id`, 'give the decimal xid, e.g. 1234');
  if (t.targetName !== undefined && t.targetName.trim() === '')
    throw bad('--target-name is empty', 'the name given to pg_create_restore_point()');
  if (t.backupID !== undefined && !/^\d{8}T\d{6}$/.test(t.backupID))
    throw bad(
      `--backup-id '${t.backupID}' is not a barman backup id`,
      'ids look like 20241215T060000 (pgdr backup list)',
    );
  if (t.targetTLI !== undefined && !/^(latest|current|[1-9][0-9]*)$/.test(t.targetTLI))
    throw bad(`--target-tli '${t.targetTLI}' is not a timeline`, 'use latest, current or a number');
  if (t.exclusive && (stops.length === 0 || t.targetImmediate))
    throw bad(
      '--exclusive needs --target-time, --target-lsn, --target-xid or --target-name',
      'it moves the stop point',
    );
  const out: Record<string, string | boolean> = {};
  for (const [k, v] of Object.entries(t)) if (v !== undefined && v !== false) out[k] = v;
  if (typeof out.targetTime === 'string') out.targetTime = normalizeTargetTime(out.targetTime);
  return Object.keys(out).length ? (out as RecoveryTarget) : undefined;
}

export function describeTarget(t: RecoveryTarget | undefined): string {
  if (!t) return 'the end of the archived WAL (latest)';
  if (t.targetTime) return `time ${t.targetTime}`;
  if (t.targetLSN) return `LSN ${t.targetLSN}`;
  if (t.targetXID) return `transaction ${t.targetXID}`;
  if (t.targetName) return `restore point '${t.targetName}'`;
  if (t.targetImmediate) return 'the end of the base backup (immediate)';
  return 'the end of the archived WAL (latest)';
}
