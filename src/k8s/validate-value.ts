// Walks a value against a structural schema as the API server does under `--validate=strict`: an unknown field
// is an error (not pruned), unless the schema preserves unknown fields.
import { isTransitionRule, KNOWN_RULES } from './cel-rules.js';
import { child, type Schema, scalarProblems, typeOf } from './openapi-schema.js';

export interface SchemaProblem {
  /** kubectl-style field path: `.spec.plugins[0].parameters.barmanObjectName`. */
  readonly path: string;
  readonly message: string;
}

interface UncheckedRule {
  readonly path: string;
  readonly rule: string;
  readonly message: string;
}

export interface ValidationResult {
  readonly errors: SchemaProblem[];
  /** CEL rules met on the way that pgdr cannot evaluate: the API server will. */
  readonly unchecked: UncheckedRule[];
}

export interface WalkOptions {
  /** A merge patch: fields may be missing, so `required` is not enforced. */
  readonly partial?: boolean;
}

export function validateValue(
  schema: Schema,
  value: unknown,
  path: string,
  opts: WalkOptions = {},
): ValidationResult {
  const result: ValidationResult = { errors: [], unchecked: [] };
  walk(schema, value, path, opts, result);
  return result;
}

function walk(s: Schema, v: unknown, path: string, opts: WalkOptions, r: ValidationResult): void {
  const err = (message: string, at = path) => r.errors.push({ path: at || '.', message });
  if (v === null) {
    if (!s.nullable) err('must not be null');
    return;
  }
  for (const m of scalarProblems(s, v)) err(m);
  // Below a wrong type, every field would be reported again as unknown: one message is enough.
  if (s.type !== undefined && s.type !== typeOf(v) && !(s.type === 'number' && typeOf(v) === 'integer'))
    return;
  if (s.anyOf && !s.anyOf.some((sub) => scalarProblems(sub, v).length === 0))
    err(`must match one of: ${s.anyOf.map((sub) => sub.type ?? 'schema').join(', ')}`);
  for (const sub of s.allOf ?? []) walk(sub, v, path, opts, r);
  if (Array.isArray(v)) array(s, v, path, opts, r);
  else if (typeOf(v) === 'object') object(s, v as Record<string, unknown>, path, opts, r);
  for (const rule of s['x-kubernetes-validations'] ?? []) {
    if (isTransitionRule(rule.rule)) continue;
    const check = KNOWN_RULES[rule.rule];
    const message = rule.message ?? `failed rule: ${rule.rule}`;
    const at = rule.fieldPath ? `${path}${rule.fieldPath}` : path;
    if (!check) r.unchecked.push({ path: path || '.', rule: rule.rule, message });
    else if (!check(v)) err(message, at);
  }
}

function object(
  s: Schema,
  v: Record<string, unknown>,
  path: string,
  opts: WalkOptions,
  r: ValidationResult,
): void {
  const props = s.properties ?? {};
  const extra = s.additionalProperties;
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
  for (const [k, val] of Object.entries(v)) {
    const at = child(path, k);
    const prop = props[k];
    if (prop) walk(prop, val, at, opts, r);
    else if (typeof extra === 'object') walk(extra, val, at, opts, r);
    else if (!preserve && extra !== true) r.errors.push({ path: at, message: 'unknown field' });
  }
  if (!opts.partial) {
    for (const k of s.required ?? []) {
      if (v[k] === undefined) r.errors.push({ path: child(path, k), message: 'required value' });
    }
  }
  const n = Object.keys(v).length;
  if (s.minProperties !== undefined && n < s.minProperties)
    r.errors.push({ path: path || '.', message: `must have at least ${s.minProperties} fields` });
  if (s.maxProperties !== undefined && n > s.maxProperties)
    r.errors.push({ path: path || '.', message: `must have at most ${s.maxProperties} fields` });
}

function array(s: Schema, v: unknown[], path: string, opts: WalkOptions, r: ValidationResult): void {
  const items = s.items;
  if (items) {
    for (const [i, item] of v.entries()) walk(items, item, child(path, i), opts, r);
  }
  const listType = s['x-kubernetes-list-type'];
  if (listType !== 'set' && listType !== 'map') return;
  const keys = s['x-kubernetes-list-map-keys'] ?? [];
  const seen = new Map<string, number>();
  v.forEach((item, i) => {
    const id =
      listType === 'set'
        ? JSON.stringify(item)
        : JSON.stringify(keys.map((k) => (item as Record<string, unknown> | null)?.[k]));
    const first = seen.get(id);
    if (first !== undefined)
      r.errors.push({
        path: child(path, i),
        message: `duplicate entry (same ${listType === 'set' ? 'value' : keys.join(', ')} as [${first}])`,
      });
    else seen.set(id, i);
  });
}
