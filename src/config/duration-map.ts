// The mappings of durations in the configuration (objectives, objectStore.timeouts): each field `name` is
// written as a duration (90s, 5m, 26h) and read into `nameMs`, in milliseconds.
import { parseDuration } from '../common/duration.js';
import type { Problems } from './validate.js';

export type MsField<N extends string> = `${N}Ms`;

export interface DurationMap<N extends string> {
  /** Where the mapping stands in the file, for messages. */
  readonly path: string;
  readonly names: readonly N[];
  /** A mapping shown when the value is not one. */
  readonly example: string;
  /** The unit a bare number most likely meant, for the message. */
  readonly unit: string;
  /**
   * Why the value `v` of `name` is refused, or undefined when it is taken. `ms` is undefined when `v` is no
   * duration; `got` is `v` as the message shows it.
   */
  readonly refuse: (name: N, ms: number | undefined, v: unknown, got: string) => string | undefined;
}

/** The fields the mapping sets, or undefined when it is absent or no mapping (a problem then). */
export function readDurationMap<N extends string>(
  raw: unknown,
  m: DurationMap<N>,
  p: Problems,
): Partial<Record<MsField<N>, number>> | undefined {
  if (raw === undefined || raw === null) return undefined;
  const known = m.names.join(', ');
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    p.add(m.path, `must be a mapping (${known}), e.g. ${m.example}`);
    return undefined;
  }
  const out: Partial<Record<MsField<N>, number>> = {};
  for (const [k, v] of Object.entries(raw)) {
    const name = m.names.find((n) => n === k);
    if (name === undefined) {
      p.add(`${m.path}.${k}`, `unknown field (known: ${known})`);
      continue;
    }
    const ms = typeof v === 'string' ? parseDuration(v) : undefined;
    const got = typeof v === 'number' ? `${v} (a number needs a unit: ${v}${m.unit})` : JSON.stringify(v);
    const refused = m.refuse(name, ms, v, got);
    if (refused === undefined && ms !== undefined) out[`${name}Ms`] = ms;
    else p.add(`${m.path}.${k}`, refused ?? `must be a duration (got ${got})`);
  }
  return out;
}
