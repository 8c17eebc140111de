// Parses the user's checks file (`pgdr verify --checks FILE`):
//   checks:
//     - name: recent-statuses
//       sql: SELECT count(*) FROM statuses WHERE created_at > now() - interval '1 day'
//       min: 1
//     - name: newest-status
//       sql: SELECT max(created_at) FROM statuses
//       fresherThan: 2d
// A bare list works too. Every mistake is reported with its place, before anything connects.
import { parse as parseYaml } from 'yaml';
import { parseDuration } from '../common/duration.js';
import { PgdrError } from '../errors.js';
import type { CheckValue } from './check-result.js';
import type { DataCheck } from './data-check.js';
import type { CompareMode } from './expectation.js';

const KEYS = ['name', 'sql', 'min', 'max', 'equals', 'fresherThan', 'compare', 'severity'];
const COMPARE: readonly CompareMode[] = ['atLeast', 'equal', 'ignore'];

export function parseChecksFile(text: string, source: string): DataCheck[] {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw invalid(source, `not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  const list = Array.isArray(doc) ? doc : (doc as { checks?: unknown } | null)?.checks;
  if (!Array.isArray(list) || list.length === 0) {
    throw invalid(source, 'expected a non-empty list of checks (a `checks:` list, or a bare list)');
  }
  const problems: string[] = [];
  const checks: DataCheck[] = [];
  const seen = new Set<string>();
  list.forEach((raw, i) => {
    const c = parseOne(raw, `checks[${i}]`, problems);
    if (!c) return;
    if (seen.has(c.name)) problems.push(`checks[${i}].name: '${c.name}' is used twice`);
    seen.add(c.name);
    checks.push(c);
  });
  if (problems.length) throw invalid(source, problems.join('; '));
  return checks;
}

function parseOne(raw: unknown, at: string, problems: string[]): DataCheck | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    problems.push(`${at}: must be a mapping with name and sql`);
    return undefined;
  }
  const o = raw as Record<string, unknown>;
  const before = problems.length;
  for (const k of Object.keys(o)) {
    if (!KEYS.includes(k)) problems.push(`${at}.${k}: unknown field (known: ${KEYS.join(', ')})`);
  }
  const name = typeof o.name === 'string' && o.name.trim() ? o.name.trim() : undefined;
  if (!name) problems.push(`${at}.name: must be a non-empty string`);
  const sql = typeof o.sql === 'string' && o.sql.trim() ? o.sql.trim() : undefined;
  if (!sql) problems.push(`${at}.sql: must be a non-empty SQL statement returning one value`);
  const num = (k: 'min' | 'max'): number | undefined => {
    if (o[k] === undefined) return undefined;
    if (typeof o[k] === 'number' && Number.isFinite(o[k])) return o[k];
    problems.push(`${at}.${k}: must be a number`);
    return undefined;
  };
  const min = num('min');
  const max = num('max');
  if (min !== undefined && max !== undefined && min > max) problems.push(`${at}: min is above max`);
  let equals: CheckValue | undefined;
  if (o.equals !== undefined) {
    const v = o.equals;
    if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) equals = v as CheckValue;
    else problems.push(`${at}.equals: must be a number, text, true/false or null`);
  }
  let fresherThanMs: number | undefined;
  if (o.fresherThan !== undefined) {
    fresherThanMs = typeof o.fresherThan === 'string' ? parseDuration(o.fresherThan) : undefined;
    if (fresherThanMs === undefined) problems.push(`${at}.fresherThan: must be a duration like 1h, 30m, 2d`);
  }
  if (o.compare !== undefined && !COMPARE.includes(o.compare as CompareMode)) {
    problems.push(`${at}.compare: must be one of ${COMPARE.join(', ')}`);
  }
  if (o.severity !== undefined && o.severity !== 'fail' && o.severity !== 'warn') {
    problems.push(`${at}.severity: must be fail or warn`);
  }
  if (problems.length > before || !name || !sql) return undefined;
  return {
    name,
    sql,
    expect: { min, max, equals, fresherThanMs },
    compare: o.compare as CompareMode | undefined,
    severity: o.severity as 'fail' | 'warn' | undefined,
  };
}

function invalid(source: string, message: string): PgdrError {
  return new PgdrError('CONFIG_INVALID', `checks file ${source}: ${message}`, {
    hint: 'each check needs name and sql, and optionally min, max, equals, fresherThan (e.g. 2d)',
  });
}
