// objectives: what the archive must meet, in one place for `pgdr status`, `pgdr check`, `pgdr serve` and its
// /metrics (each command's flags still override for one run):
//   objectives: { rpo: 5m, rto: 30m, backupAge: 26h, drillAge: 35d }
// Durations are written as everywhere in pgdr (DURATION_SYNTAX); only retentionPolicy keeps CloudNativePG's
// meaning, where 1m is a month.
import { readDurationMap } from './duration-map.js';
import type { Problems } from './validate.js';

export interface Objectives {
  /** The newest archived WAL may be this old: the data lost if the primary died now. */
  readonly rpoMs: number;
  /** A restore (a drill's plan to verify) should take at most this long. */
  readonly rtoMs: number;
  /** The newest DONE backup may be this old. */
  readonly backupAgeMs: number;
  /** The newest drill may be this old. */
  readonly drillAgeMs: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const DEFAULT_OBJECTIVES: Objectives = {
  // archive_timeout 5m (CloudNativePG's default) + 1m to upload.
  rpoMs: 6 * MINUTE,
  rtoMs: 30 * MINUTE,
  // A daily schedule, with 2h of slack.
  backupAgeMs: 26 * HOUR,
  // A monthly drill, with a few days of slack.
  drillAgeMs: 35 * DAY,
};

export const DURATION_SYNTAX =
  'Durations: 90s, 5m, 26h, 35d, 2w, 1h30m (s seconds, m MINUTES, h hours, d days, w weeks); only\n' +
  "retentionPolicy follows CloudNativePG, where '1m' is a month (31 days).";

/** Below this, backupAge or drillAge is surely a month written as 1m. */
const AGE_MIN_MS = HOUR;

/** The objectives the file sets (the others take DEFAULT_OBJECTIVES), or undefined without the section. */
export function buildObjectives(raw: unknown, p: Problems): Partial<Objectives> | undefined {
  return readDurationMap(
    raw,
    {
      path: 'objectives',
      names: ['rpo', 'rto', 'backupAge', 'drillAge'],
      example: '{ rpo: 5m, rto: 30m, backupAge: 26h }',
      unit: 'm',
      refuse: (name, ms, v, got) => {
        if (ms === undefined || ms <= 0)
          return `must be a duration such as 5m, 26h, 35d (m is minutes; got ${got})`;
        if ((name === 'backupAge' || name === 'drillAge') && ms < AGE_MIN_MS)
          return `${String(v)} is ${ms / 1000} seconds: m means minutes here (only retentionPolicy reads 1m as a month); write days, e.g. 31d`;
        return undefined;
      },
    },
    p,
  );
}

/** The objectives for one run: the command's flags, else the configuration's, else the defaults. */
export function objectivesOf(
  configured: Partial<Objectives> | undefined,
  flags: Partial<Record<keyof Objectives, number | undefined>> = {},
): Objectives {
  const pick = (k: keyof Objectives) => flags[k] ?? configured?.[k] ?? DEFAULT_OBJECTIVES[k];
  return {
    rpoMs: pick('rpoMs'),
    rtoMs: pick('rtoMs'),
    backupAgeMs: pick('backupAgeMs'),
    drillAgeMs: pick('drillAgeMs'),
  };
}

/** As a user writes it: 35d, 26h, 6m, 90s. */
export function showObjective(ms: number): string {
  for (const [unit, size] of [
    ['d', DAY],
    ['h', HOUR],
    ['m', MINUTE],
  ] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms / 1000}s`;
}
