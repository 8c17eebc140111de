// The OpenAPI v3 subset of Kubernetes structural schemas (what CRDs and pgdr's core shapes use), with the
// keywords the API server enforces. Unsupported keywords fail at load, so a newer CRD cannot pass by accident.

type SchemaType = 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';

interface CelRule {
  readonly rule: string;
  readonly message?: string;
  readonly messageExpression?: string;
  readonly fieldPath?: string;
  readonly reason?: string;
  readonly optionalOldSelf?: boolean;
}

export interface Schema {
  readonly type?: SchemaType;
  readonly description?: string;
  readonly default?: unknown;
  readonly format?: string;
  readonly properties?: Readonly<Record<string, Schema>>;
  readonly additionalProperties?: Schema | boolean;
  readonly items?: Schema;
  readonly required?: readonly string[];
  readonly enum?: readonly unknown[];
  readonly pattern?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: boolean;
  readonly exclusiveMaximum?: boolean;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly minProperties?: number;
  readonly maxProperties?: number;
  readonly nullable?: boolean;
  readonly anyOf?: readonly Schema[];
  readonly allOf?: readonly Schema[];
  readonly oneOf?: readonly Schema[];
  readonly not?: Schema;
  readonly 'x-kubernetes-preserve-unknown-fields'?: boolean;
  readonly 'x-kubernetes-int-or-string'?: boolean;
  readonly 'x-kubernetes-embedded-resource'?: boolean;
  readonly 'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  readonly 'x-kubernetes-list-map-keys'?: readonly string[];
  readonly 'x-kubernetes-map-type'?: 'atomic' | 'granular';
  readonly 'x-kubernetes-validations'?: readonly CelRule[];
}

const KEYWORDS = new Set([
  'type',
  'description',
  'default',
  'format',
  'properties',
  'additionalProperties',
  'items',
  'required',
  'enum',
  'pattern',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  'minProperties',
  'maxProperties',
  'nullable',
  'anyOf',
  'allOf',
  'oneOf',
  'not',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-int-or-string',
  'x-kubernetes-embedded-resource',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
  'x-kubernetes-validations',
]);

/** Throws on a keyword this validator does not implement, naming where it sits in the schema. */
export function assertSupported(s: unknown, path = ''): asserts s is Schema {
  if (s === null || typeof s !== 'object' || Array.isArray(s))
    throw new Error(`schema ${path || '.'}: not an object`);
  const o = s as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!KEYWORDS.has(k)) throw new Error(`schema ${path || '.'}: unsupported keyword ${k}`);
  }
  for (const [k, v] of Object.entries((o.properties ?? {}) as Record<string, unknown>))
    assertSupported(v, `${path}.${k}`);
  if (o.items !== undefined) assertSupported(o.items, `${path}[]`);
  if (typeof o.additionalProperties === 'object') assertSupported(o.additionalProperties, `${path}{}`);
  for (const k of ['anyOf', 'allOf', 'oneOf'] as const) {
    for (const [i, sub] of ((o[k] ?? []) as unknown[]).entries()) assertSupported(sub, `${path}(${k}${i})`);
  }
  if (o.not !== undefined) assertSupported(o.not, `${path}(not)`);
}

/** The kubectl-style path of a child: `.spec.plugins[0].name`. */
export const child = (path: string, key: string | number): string =>
  typeof key === 'number' ? `${path}[${key}]` : `${path}.${key}`;

export function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

const INT_RANGE: Record<string, readonly [number, number]> = {
  int32: [-(2 ** 31), 2 ** 31 - 1],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** Type, format, enum and bounds of one value; an empty list means it passes. */
export function scalarProblems(s: Schema, v: unknown): string[] {
  const out: string[] = [];
  const t = typeOf(v);
  if (s['x-kubernetes-int-or-string']) {
    if (t !== 'integer' && t !== 'string') out.push(`must be an integer or a string, not ${t}`);
  } else if (s.type !== undefined) {
    const ok =
      s.type === t || (s.type === 'number' && t === 'integer') || (s.type === 'object' && t === 'object');
    if (!ok) return [`must be of type ${s.type}, not ${t}`];
  }
  if (s.enum && !s.enum.includes(v))
    out.push(
      `unsupported value ${JSON.stringify(v)}: supported values: ${s.enum.map((e) => JSON.stringify(e)).join(', ')}`,
    );
  if (typeof v === 'number') {
    const range = s.format ? INT_RANGE[s.format] : undefined;
    if (range && (v < range[0] || v > range[1])) out.push(`out of range for ${s.format}`);
    if (s.minimum !== undefined && (s.exclusiveMinimum ? v <= s.minimum : v < s.minimum))
      out.push(`must be greater than ${s.exclusiveMinimum ? '' : 'or equal to '}${s.minimum}`);
    if (s.maximum !== undefined && (s.exclusiveMaximum ? v >= s.maximum : v > s.maximum))
      out.push(`must be less than ${s.exclusiveMaximum ? '' : 'or equal to '}${s.maximum}`);
  }
  if (typeof v === 'string') {
    const len = [...v].length;
    if (s.minLength !== undefined && len < s.minLength)
      out.push(`must be at least ${s.minLength} characters long`);
    if (s.maxLength !== undefined && len > s.maxLength)
      out.push(`must be at most ${s.maxLength} characters long`);
    if (s.pattern !== undefined && !new RegExp(s.pattern, 'u').test(v))
      out.push(`${JSON.stringify(v)} does not match the pattern ${s.pattern}`);
    if (s.format === 'date-time' && !RFC3339.test(v)) out.push('must be an RFC 3339 date-time');
    if (s.format === 'byte' && !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) out.push('must be base64');
  }
  if (Array.isArray(v)) {
    if (s.minItems !== undefined && v.length < s.minItems) out.push(`must have at least ${s.minItems} items`);
    if (s.maxItems !== undefined && v.length > s.maxItems) out.push(`must have at most ${s.maxItems} items`);
  }
  return out;
}
