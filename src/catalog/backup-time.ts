// begin_time/end_time of backup.info. barman writes str(datetime) ('2024-12-15 06:00:00.812345+00:00', no
// fraction when it is zero) and reads with dateutil. We accept the forms barman and PostgreSQL produce and keep
// the wall clock and offset, because the JSON output renders both (ctime() and isoformat()) in that offset.
import { PgdrError } from '../errors.js';

export interface BackupTime {
  /** The value exactly as stored. */
  readonly raw: string;
  /** The instant (millisecond precision). */
  readonly date: Date;
  readonly microsecond: number;
  /** Offset east of UTC in seconds; 0 for a naive value. */
  readonly offsetSeconds: number;
  /** No zone in the text: read as UTC, where barman would have used the local zone of its process. */
  readonly naive: boolean;
}

const ISO_RE =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?)?$/i;
const CTIME_RE = /^[A-Za-z]{3} ([A-Za-z]{3}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/;

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export function parseBackupTime(raw: string): BackupTime {
  const text = raw.trim();
  let parts: number[];
  let zone: string | undefined;
  let fraction = '';
  const iso = ISO_RE.exec(text);
  const ct = iso ? null : CTIME_RE.exec(text);
  if (iso) {
    parts = [1, 2, 3, 4, 5, 6].map((i) => Number(iso[i] ?? '0'));
    fraction = iso[7] ?? '';
    zone = iso[8];
  } else if (ct) {
    const month = MONTHS.findIndex((m) => m.toLowerCase() === ct[1]!.toLowerCase()) + 1;
    parts = [Number(ct[6]), month, Number(ct[2]), Number(ct[3]), Number(ct[4]), Number(ct[5])];
  } else {
    throw invalid(raw);
  }
  const [y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0] = parts;
  // dateutil keeps microseconds and drops digits beyond the sixth.
  const microsecond = fraction === '' ? 0 : Number(fraction.slice(0, 6).padEnd(6, '0'));
  // Date.UTC maps years 0-99 to 19xx; setUTCFullYear does not.
  const check = new Date(Date.UTC(2000, mo - 1, d, h, mi, s, Math.floor(microsecond / 1000)));
  check.setUTCFullYear(y);
  const wall = check.getTime();
  if (mo < 1 || h > 23 || mi > 59 || s > 59 || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) {
    throw invalid(raw);
  }
  const offsetSeconds = zone === undefined ? 0 : parseOffset(zone);
  if (Math.abs(offsetSeconds) >= 86400) throw invalid(raw);
  return {
    raw,
    date: new Date(wall - offsetSeconds * 1000),
    microsecond,
    offsetSeconds,
    naive: zone === undefined,
  };
}

function parseOffset(zone: string): number {
  if (/^(Z|UTC|GMT)$/i.test(zone)) return 0;
  const digits = zone.slice(1).replace(/:/g, '');
  const secs =
    Number(digits.slice(0, 2)) * 3600 +
    Number(digits.slice(2, 4) || '0') * 60 +
    Number(digits.slice(4, 6) || '0');
  return zone.startsWith('-') ? -secs : secs;
}

function invalid(raw: string): PgdrError {
  return new PgdrError('CATALOG_INVALID', `'${raw}' is not a time barman can read`, {
    hint: "expected e.g. '2024-12-15 06:00:00.812345+00:00'",
  });
}

/** The wall-clock fields in the value's own offset. */
function wall(t: Pick<BackupTime, 'date' | 'offsetSeconds'>): Date {
  return new Date(t.date.getTime() + t.offsetSeconds * 1000);
}

const p2 = (n: number): string => n.toString().padStart(2, '0');

/** Python's datetime.ctime(): 'Sun Dec 15 06:00:00 2024', wall clock of the stored offset, no zone. */
export function formatCtime(t: Pick<BackupTime, 'date' | 'offsetSeconds'>): string {
  const w = wall(t);
  const day = w.getUTCDate().toString().padStart(2, ' ');
  const clock = `${p2(w.getUTCHours())}:${p2(w.getUTCMinutes())}:${p2(w.getUTCSeconds())}`;
  return `${DAYS[w.getUTCDay()]} ${MONTHS[w.getUTCMonth()]} ${day} ${clock} ${w.getUTCFullYear()}`;
}

function formatWith(t: Pick<BackupTime, 'date' | 'offsetSeconds' | 'microsecond'>, sep: string): string {
  const w = wall(t);
  const date = `${w.getUTCFullYear().toString().padStart(4, '0')}-${p2(w.getUTCMonth() + 1)}-${p2(w.getUTCDate())}`;
  const clock = `${p2(w.getUTCHours())}:${p2(w.getUTCMinutes())}:${p2(w.getUTCSeconds())}`;
  const frac = t.microsecond === 0 ? '' : `.${t.microsecond.toString().padStart(6, '0')}`;
  const abs = Math.abs(t.offsetSeconds);
  const off = `${t.offsetSeconds < 0 ? '-' : '+'}${p2(Math.floor(abs / 3600))}:${p2(Math.floor(abs / 60) % 60)}`;
  return `${date}${sep}${clock}${frac}${off}${abs % 60 === 0 ? '' : `:${p2(abs % 60)}`}`;
}

/** Python's datetime.isoformat() of an aware value: '2024-12-15T06:00:00.812345+00:00'. */
export function formatIsoTime(t: Pick<BackupTime, 'date' | 'offsetSeconds' | 'microsecond'>): string {
  return formatWith(t, 'T');
}

/**
 * str(datetime) as barman writes it into backup.info. `microsecond` defaults to the Date's milliseconds;
 * pass it explicitly when the source (PostgreSQL now()) has microseconds.
 */
export function formatBarmanTime(
  date: Date,
  offsetSeconds = 0,
  microsecond = date.getUTCMilliseconds() * 1000,
): string {
  return formatWith({ date, offsetSeconds, microsecond }, ' ');
}
