// Retention policies in both spellings users paste: CloudNativePG's `retentionPolicy: "14d"` and barman's
// `RECOVERY WINDOW OF 14 DAYS` / `REDUNDANCY 3`. The barman grammar is its regexes (retention_policies.py, 3.4),
// case-insensitive; CloudNativePG turns `Nd|Nw|Nm` into the barman form (pkg/utils/barman.go ParsePolicy).
import { PgdrError } from '../errors.js';

type WindowUnit = 'DAYS' | 'WEEKS' | 'MONTHS';

export type RetentionPolicy =
  | { readonly kind: 'redundancy'; readonly count: number; readonly text: string }
  | {
      readonly kind: 'window';
      readonly value: number;
      readonly unit: WindowUnit;
      /** The window length; barman's month is 31 days. */
      readonly windowMs: number;
      readonly text: string;
    };

export interface ParsePolicyOptions {
  /** Where the text came from: decides the error code (a config field or a flag). */
  readonly source: 'config' | 'flag';
  /** For messages: `retentionPolicy` or `--policy`. */
  readonly field?: string;
}

const REDUNDANCY_RE = /^\s*redundancy\s+(\d+)\s*$/i;
const WINDOW_RE = /^\s*recovery\s+window\s+of\s+(\d+)\s+(day|month|week)s?\s*$/i;
const CNPG_RE = /^[1-9][0-9]*[dwm]$/;

const DAY_MS = 86_400_000;
const UNIT_DAYS: Record<WindowUnit, number> = { DAYS: 1, WEEKS: 7, MONTHS: 31 };
const UNIT_OF: Record<string, WindowUnit> = { d: 'DAYS', w: 'WEEKS', m: 'MONTHS' };

export const POLICY_FORMS = "'14d', '2w', '1m', 'RECOVERY WINDOW OF 14 DAYS|WEEKS|MONTHS' or 'REDUNDANCY 3'";

export function parseRetentionPolicy(text: string, options: ParsePolicyOptions): RetentionPolicy {
  const cnpg = CNPG_RE.exec(text);
  if (cnpg) return window(Number(text.slice(0, -1)), UNIT_OF[text.slice(-1)]!, options);
  const red = REDUNDANCY_RE.exec(text);
  if (red) {
    const count = Number(red[1]);
    // barman accepts REDUNDANCY 0 and then deletes every backup that is not kept: never what anyone wants.
    if (count < 1) throw invalid(text, options, 'REDUNDANCY 0 would delete every backup');
    return { kind: 'redundancy', count, text: `REDUNDANCY ${count}` };
  }
  const win = WINDOW_RE.exec(text);
  if (win) {
    const unit = UNIT_OF[win[2]!.toLowerCase()[0]!]!;
    return window(Number(win[1]), unit, options);
  }
  throw invalid(text, options);
}

function window(value: number, unit: WindowUnit, options: ParsePolicyOptions): RetentionPolicy {
  if (!Number.isSafeInteger(value)) throw invalid(String(value), options, 'the number is too large');
  return {
    kind: 'window',
    value,
    unit,
    windowMs: value * UNIT_DAYS[unit] * DAY_MS,
    text: `RECOVERY WINDOW OF ${value} ${unit}`,
  };
}

function invalid(text: string, options: ParsePolicyOptions, why?: string): PgdrError {
  const field = options.field ?? (options.source === 'config' ? 'retentionPolicy' : '--policy');
  const code = options.source === 'config' ? 'CONFIG_INVALID' : 'USAGE';
  return new PgdrError(code, `${field}: invalid retention policy '${text}'${why ? ` (${why})` : ''}`, {
    hint: `accepted forms: ${POLICY_FORMS} (a month is 31 days)`,
  });
}
