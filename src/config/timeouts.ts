// objectStore.timeouts: how long pgdr waits for the object store before it gives up with STORE_UNREACHABLE or
// STORE_ERROR. Durations are written as everywhere else in pgdr: 10s, 2m, 1h30m.
import { parseDuration } from '../common/duration.js';
import { DEFAULT_STORE_TIMEOUTS, type StoreTimeouts } from './types.js';
import type { Problems } from './validate.js';

const FIELDS = {
  connect: 'connectMs',
  request: 'requestMs',
  operation: 'operationMs',
  command: 'commandMs',
} as const satisfies Record<string, keyof StoreTimeouts>;
type Field = keyof typeof FIELDS;

const MIN_MS = 1000;
const MAX_MS = 86_400_000;
const PATH = 'objectStore.timeouts';

export function showDuration(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000}m` : `${ms / 1000}s`;
}

export function buildTimeouts(raw: unknown, p: Problems): StoreTimeouts {
  if (raw === undefined || raw === null) return DEFAULT_STORE_TIMEOUTS;
  const known = Object.keys(FIELDS);
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    p.add(PATH, `must be a mapping (${known.join(', ')}), e.g. {request: 60s, command: 2m}`);
    return DEFAULT_STORE_TIMEOUTS;
  }
  const out: Record<keyof StoreTimeouts, number> = { ...DEFAULT_STORE_TIMEOUTS };
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (!Object.hasOwn(FIELDS, k)) {
      p.add(`${PATH}.${k}`, `unknown field (known: ${known.join(', ')})`);
      continue;
    }
    const field = FIELDS[k as Field];
    const ms = typeof v === 'string' ? parseDuration(v) : undefined;
    if (ms === undefined || ms < MIN_MS || ms > MAX_MS) {
      const got = typeof v === 'number' ? `${v} (a number needs a unit: ${v}s)` : JSON.stringify(v);
      p.add(
        `${PATH}.${k}`,
        `must be a duration from 1s to 24h such as 30s, 5m, 1h30m (default ${showDuration(DEFAULT_STORE_TIMEOUTS[field])}; got ${got})`,
      );
      continue;
    }
    out[field] = ms;
  }
  // An attempt can never outlast its request's overall deadline, nor a connection its attempt. A default gives
  // way to a request deadline set beyond it; two values set against each other are a mistake to point out.
  if (out.operationMs < out.requestMs) {
    if (Object.hasOwn(raw, 'operation'))
      p.add(`${PATH}.operation`, `must be at least ${PATH}.request (${showDuration(out.requestMs)})`);
    else out.operationMs = out.requestMs;
  }
  if (out.connectMs > out.requestMs) {
    if (Object.hasOwn(raw, 'connect'))
      p.add(`${PATH}.connect`, `must be at most ${PATH}.request (${showDuration(out.requestMs)})`);
    else out.connectMs = out.requestMs;
  }
  return out;
}
