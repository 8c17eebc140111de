// Typed access to parse-prometheus-text-format (a CommonJS package without type declarations).
import { createRequire } from 'node:module';

export interface PromSample {
  readonly value: string;
  readonly labels?: Readonly<Record<string, string>>;
}

export interface PromFamily {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  readonly metrics: readonly PromSample[];
}

const parse = createRequire(import.meta.url)('parse-prometheus-text-format') as (
  text: string,
) => PromFamily[];

export function parsePrometheus(text: string): Map<string, PromFamily> {
  return new Map(parse(text).map((f) => [f.name, f]));
}

/** The one sample of `name` whose labels include `labels`; throws when there is none or more than one. */
export function sample(
  families: ReadonlyMap<string, PromFamily>,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number {
  const f = families.get(name);
  if (!f) throw new Error(`metric ${name} missing`);
  const hits = f.metrics.filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  if (hits.length !== 1) throw new Error(`${name}${JSON.stringify(labels)}: ${hits.length} samples`);
  return Number(hits[0]!.value);
}
