// Reads values captured earlier by `pgdr verify --format json` (typically on the primary) for --expect-from.
import { PgdrError } from '../errors.js';
import type { CheckValue } from './check-result.js';

export type Captured = ReadonlyMap<string, CheckValue>;

export function parseCaptured(text: string, source: string): Captured {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw invalid(source, `not valid JSON: ${(e as Error).message}`);
  }
  const checks = (doc as { checks?: unknown } | null)?.checks;
  if (!Array.isArray(checks)) throw invalid(source, 'no `checks` list');
  const out = new Map<string, CheckValue>();
  for (const c of checks) {
    const { name, value } = (c ?? {}) as { name?: unknown; value?: unknown };
    if (typeof name !== 'string') throw invalid(source, 'a check without a name');
    // Checks that carried no value (or did not run) have nothing to compare against.
    if (value === undefined) continue;
    if (value !== null && !['string', 'number', 'boolean'].includes(typeof value)) {
      throw invalid(source, `check ${name}: value must be a number, text, boolean or null`);
    }
    out.set(name, value as CheckValue);
  }
  return out;
}

function invalid(source: string, message: string): PgdrError {
  return new PgdrError('CONFIG_INVALID', `--expect-from ${source}: ${message}`, {
    hint: 'pass a file written by: pgdr verify --format json (with the same --preset/--checks)',
  });
}
