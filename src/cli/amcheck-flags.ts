// The bounds of amcheck, shared by `verify` and `drill`: a run they cut short is reported as partial.
import { PgdrError } from '../errors.js';
import type { AmcheckBounds } from '../verify/amcheck-budget.js';
import { type FlagSpec, type Parsed, str } from './args.js';
import { durationFlag } from './duration-flag.js';

export const AMCHECK_FLAGS: FlagSpec = {
  'amcheck-budget': { type: 'string' },
  'amcheck-max-relations': { type: 'string' },
  'amcheck-max-indexes': { type: 'string' },
};

export const AMCHECK_USAGE = `  --amcheck-budget DURATION, --amcheck-max-relations N, --amcheck-max-indexes N
                         bound amcheck (default 10m in all, 10000 tables/TOAST/materialized views, 10000
                         btree indexes); a check they cut short warns and says "partial"`;

export function amcheckBoundsFromFlags(p: Parsed, command: string): Partial<AmcheckBounds> {
  const out: { -readonly [K in keyof AmcheckBounds]?: number } = {};
  const budgetMs = durationFlag(p, 'amcheck-budget', command);
  if (budgetMs !== undefined) out.budgetMs = budgetMs;
  const relations = count(p, 'amcheck-max-relations', command);
  if (relations !== undefined) out.maxRelations = relations;
  const indexes = count(p, 'amcheck-max-indexes', command);
  if (indexes !== undefined) out.maxIndexes = indexes;
  return out;
}

function count(p: Parsed, name: string, command: string): number | undefined {
  const text = str(p, name);
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < 1) {
    throw new PgdrError('USAGE', `${command}: --${name} must be a positive integer (got '${text}')`, {
      hint: `see: pgdr ${command} --help`,
    });
  }
  return n;
}
