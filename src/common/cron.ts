// Cron schedules as CloudNativePG's ScheduledBackup reads them (robfig/cron with seconds): six fields
// `sec min hour dom month dow`, or the classic five (seconds = 0), or an `@daily`-style descriptor. Times are UTC:
// a backup schedule that moves with daylight saving time would skip or double a run twice a year.

export interface CronSchedule {
  readonly text: string;
  readonly seconds: ReadonlySet<number>;
  readonly minutes: ReadonlySet<number>;
  readonly hours: ReadonlySet<number>;
  readonly days: ReadonlySet<number>;
  readonly months: ReadonlySet<number>;
  readonly weekdays: ReadonlySet<number>;
  /** Vixie/robfig rule: when both day fields are restricted, a day matching either one fires. */
  readonly dayOr: boolean;
}

interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const FIELDS: readonly FieldSpec[] = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  // 7 is Sunday too, as in most crons.
  { name: 'day of week', min: 0, max: 7, names: DAYS },
];
const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 0 1 1 *',
  '@annually': '0 0 0 1 1 *',
  '@monthly': '0 0 0 1 * *',
  '@weekly': '0 0 0 * * 0',
  '@daily': '0 0 0 * * *',
  '@midnight': '0 0 0 * * *',
  '@hourly': '0 0 * * * *',
};

export const CRON_HINT =
  'six fields "sec min hour day-of-month month day-of-week" as CloudNativePG (e.g. "0 0 6 * * *": 06:00 UTC daily), five fields without seconds ("0 6 * * *"), or @hourly/@daily/@weekly/@monthly/@yearly';

export class CronError extends Error {}

export function parseCron(text: string): CronSchedule {
  const trimmed = text.trim();
  const expanded = DESCRIPTORS[trimmed.toLowerCase()];
  if (trimmed.startsWith('@') && expanded === undefined)
    throw new CronError(`unknown descriptor '${trimmed}'`);
  const parts = (expanded ?? trimmed).split(/\s+/);
  if (parts.length === 5) parts.unshift('0');
  if (parts.length !== 6)
    throw new CronError(`'${text}' has ${parts.length} fields; expected 6 (with seconds) or 5`);
  const sets = parts.map((p, i) => parseField(p, FIELDS[i]!));
  const weekdays = new Set([...sets[5]!].map((d) => d % 7));
  const star = (p: string) => p.startsWith('*') || p === '?';
  return {
    text: trimmed,
    seconds: sets[0]!,
    minutes: sets[1]!,
    hours: sets[2]!,
    days: sets[3]!,
    months: sets[4]!,
    weekdays,
    dayOr: !star(parts[3]!) && !star(parts[5]!),
  };
}

function parseField(text: string, f: FieldSpec): Set<number> {
  const out = new Set<number>();
  for (const item of text.split(',')) {
    const m = /^([^/]+)(?:\/(\d+))?$/.exec(item);
    if (!m) throw new CronError(`${f.name} '${text}': cannot read '${item}'`);
    const step = m[2] === undefined ? 1 : Number(m[2]);
    if (step < 1) throw new CronError(`${f.name} '${text}': a step must be at least 1`);
    let lo: number;
    let hi: number;
    if (m[1] === '*' || m[1] === '?') [lo, hi] = [f.min, f.name === 'day of week' ? 6 : f.max];
    else {
      const range = m[1]!.split('-');
      if (range.length > 2) throw new CronError(`${f.name} '${text}': cannot read '${item}'`);
      lo = value(range[0]!, f, text);
      // `a/n` means from a to the end, as robfig reads it.
      hi = range.length === 2 ? value(range[1]!, f, text) : m[2] === undefined ? lo : f.max;
    }
    if (lo > hi) throw new CronError(`${f.name} '${text}': range ${lo}-${hi} runs backwards`);
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

function value(token: string, f: FieldSpec, text: string): number {
  const named = f.names?.indexOf(token.toUpperCase()) ?? -1;
  if (named >= 0) return f.name === 'month' ? named + 1 : named;
  if (!/^\d+$/.test(token)) throw new CronError(`${f.name} '${text}': '${token}' is not a number`);
  const v = Number(token);
  if (v < f.min || v > f.max)
    throw new CronError(`${f.name} '${text}': ${v} is out of range ${f.min}-${f.max}`);
  return v;
}

function dayMatches(s: CronSchedule, d: Date): boolean {
  const dom = s.days.has(d.getUTCDate());
  const dow = s.weekdays.has(d.getUTCDay());
  return s.dayOr ? dom || dow : dom && dow;
}

/** The first fire time strictly after `after`; undefined when none within five years (e.g. 31 FEB). */
export function nextFire(s: CronSchedule, after: Date): Date | undefined {
  const t = new Date(Math.floor(after.getTime() / 1000) * 1000 + 1000);
  const limit = after.getTime() + 5 * 366 * 86_400_000;
  // Each step moves to the start of the next candidate unit, so this converges in a few hundred iterations.
  while (t.getTime() <= limit) {
    if (!s.months.has(t.getUTCMonth() + 1)) {
      t.setUTCMonth(t.getUTCMonth() + 1, 1);
      t.setUTCHours(0, 0, 0, 0);
    } else if (!dayMatches(s, t)) {
      t.setUTCDate(t.getUTCDate() + 1);
      t.setUTCHours(0, 0, 0, 0);
    } else if (!s.hours.has(t.getUTCHours())) {
      t.setUTCHours(t.getUTCHours() + 1, 0, 0, 0);
    } else if (!s.minutes.has(t.getUTCMinutes())) {
      t.setUTCMinutes(t.getUTCMinutes() + 1, 0, 0);
    } else if (!s.seconds.has(t.getUTCSeconds())) {
      t.setUTCSeconds(t.getUTCSeconds() + 1, 0);
    } else return t;
  }
  return undefined;
}
