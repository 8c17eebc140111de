// The one validator for whole-number settings, so every section reads them with the same argument order and
// reports them with the same words.
import type { Problems } from './validate.js';

/** obj[key] as a whole number from min to max; def when absent; def and a problem at `path` when invalid. */
export function wholeNumber(
  obj: Record<string, unknown>,
  key: string,
  path: string,
  p: Problems,
  def: number,
  min: number,
  max: number,
): number {
  const v = obj[key];
  if (v === undefined || v === null) return def;
  if (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max) return v;
  p.add(path, `must be a whole number from ${min} to ${max} (default ${def})`);
  return def;
}
