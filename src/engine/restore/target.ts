// The recovery target a restore aims at, validated once, and its rendering as PostgreSQL recovery settings
// (the names CloudNativePG renders in cluster_funcs.go BuildPostgresOptions).
import { type BackupTime, formatIsoTime, parseBackupTime } from '../../catalog/backup-time.js';
import { formatLsn, parseLsn } from '../../catalog/wal-name.js';
import { PgdrError } from '../../errors.js';

export type RecoveryTarget =
  | { readonly kind: 'latest' }
  | { readonly kind: 'time'; readonly time: BackupTime }
  | { readonly kind: 'lsn'; readonly lsn: bigint }
  | { readonly kind: 'xid'; readonly xid: string }
  | { readonly kind: 'name'; readonly name: string }
  | { readonly kind: 'immediate' };

export type TargetAction = 'promote' | 'pause' | 'shutdown';

export interface TargetInput {
  readonly time?: string | undefined;
  readonly lsn?: string | undefined;
  readonly xid?: string | undefined;
  readonly name?: string | undefined;
  readonly immediate?: boolean | undefined;
}

/** At most one target, like PostgreSQL (which refuses several recovery_target_* at once). */
export function parseTarget(input: TargetInput): RecoveryTarget {
  const given = Object.entries(input).filter(([, v]) => v !== undefined && v !== false);
  if (given.length > 1) {
    const flags = given.map(([k]) => `--target-${k}`).join(' and ');
    throw new PgdrError('USAGE', `restore: give at most one recovery target (got ${flags})`, {
      hint: 'choose one of --target-time, --target-lsn, --target-xid, --target-name, --target-immediate; none means the end of the archived WAL',
    });
  }
  if (input.time !== undefined) {
    const time = flagValue('time', input.time, 'a time', parseBackupTime, {
      hint: "use 'YYYY-MM-DD HH:MM:SS[.ffffff][+HH:MM]' (no zone means UTC), e.g. '2024-12-15 07:30:00+00'",
    });
    return { kind: 'time', time };
  }
  if (input.lsn !== undefined) {
    const lsn = flagValue('lsn', input.lsn, 'an LSN', parseLsn, {
      hint: 'expected X/Y in hex, e.g. 0/6000028 (SELECT pg_current_wal_lsn())',
    });
    return { kind: 'lsn', lsn };
  }
  if (input.xid !== undefined) {
    if (!/^\d+$/.test(input.xid) || input.xid === '0') {
      throw new PgdrError('USAGE', `restore: --target-xid '${input.xid}' is not a transaction id`, {
        hint: 'a positive integer, e.g. from SELECT pg_current_xact_id()',
      });
    }
    return { kind: 'xid', xid: input.xid };
  }
  if (input.name !== undefined) {
    if (input.name === '' || input.name.length > 63) {
      throw new PgdrError(
        'USAGE',
        'restore: --target-name must be 1 to 63 characters (a restore point name)',
      );
    }
    return { kind: 'name', name: input.name };
  }
  if (input.immediate) return { kind: 'immediate' };
  return { kind: 'latest' };
}

/** `--target-FLAG VALUE` parsed, or USAGE saying it is not `what`. */
function flagValue<T>(
  flag: string,
  value: string,
  what: string,
  parse: (v: string) => T,
  o: { hint: string },
): T {
  try {
    return parse(value);
  } catch {
    throw new PgdrError('USAGE', `restore: --target-${flag} '${value}' is not ${what}`, o);
  }
}

export function describeTarget(t: RecoveryTarget): string {
  switch (t.kind) {
    case 'latest':
      return 'end of archived WAL';
    case 'time':
      return `time ${formatIsoTime(t.time)}`;
    case 'lsn':
      return `LSN ${formatLsn(t.lsn)}`;
    case 'xid':
      return `transaction ${t.xid}`;
    case 'name':
      return `restore point '${t.name}'`;
    case 'immediate':
      return 'end of the backup (consistency)';
  }
}

export interface RecoverySettingsInput {
  readonly target: RecoveryTarget;
  readonly restoreCommand: string;
  /** 'latest', 'current' or a timeline number. */
  readonly timeline: string;
  readonly inclusive: boolean;
  readonly action: TargetAction;
}

/** The settings, in the order they are written to postgresql.auto.conf. */
export function recoverySettings(o: RecoverySettingsInput): Array<[string, string]> {
  const s: Array<[string, string]> = [['restore_command', o.restoreCommand]];
  const t = o.target;
  if (t.kind === 'time') s.push(['recovery_target_time', formatIsoTime(t.time)]);
  else if (t.kind === 'lsn') s.push(['recovery_target_lsn', formatLsn(t.lsn)]);
  else if (t.kind === 'xid') s.push(['recovery_target_xid', t.xid]);
  else if (t.kind === 'name') s.push(['recovery_target_name', t.name]);
  else if (t.kind === 'immediate') s.push(['recovery_target', 'immediate']);
  s.push(['recovery_target_timeline', o.timeline]);
  if (t.kind !== 'latest') {
    // Inclusive has no meaning for immediate or name targets; PostgreSQL accepts and ignores it.
    if (t.kind === 'time' || t.kind === 'lsn' || t.kind === 'xid') {
      s.push(['recovery_target_inclusive', o.inclusive ? 'on' : 'off']);
    }
    s.push(['recovery_target_action', o.action]);
  }
  return s;
}

/** A postgresql.conf value: always quoted, quotes doubled. */
export function confLine(name: string, value: string): string {
  return `${name} = '${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}
