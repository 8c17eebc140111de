// objectStore.timeouts: how long pgdr waits for the object store before it gives up with STORE_UNREACHABLE or
// STORE_ERROR. Durations are written as everywhere else in pgdr: 10s, 2m, 1h30m.
import { readDurationMap } from './duration-map.js';
import { DEFAULT_STORE_TIMEOUTS, type StoreTimeouts } from './types.js';
import type { Problems } from './validate.js';

const MIN_MS = 1000;
const MAX_MS = 86_400_000;
const PATH = 'objectStore.timeouts';

export function showDuration(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000}m` : `${ms / 1000}s`;
}

export function buildTimeouts(raw: unknown, p: Problems): StoreTimeouts {
  const set = readDurationMap(
    raw,
    {
      path: PATH,
      names: ['connect', 'request', 'operation', 'command'],
      example: '{request: 60s, command: 2m}',
      unit: 's',
      refuse: (name, ms, _v, got) =>
        ms === undefined || ms < MIN_MS || ms > MAX_MS
          ? `must be a duration from 1s to 24h such as 30s, 5m, 1h30m (default ${showDuration(DEFAULT_STORE_TIMEOUTS[`${name}Ms`])}; got ${got})`
          : undefined,
    },
    p,
  );
  if (set === undefined) return DEFAULT_STORE_TIMEOUTS;
  const out: Record<keyof StoreTimeouts, number> = { ...DEFAULT_STORE_TIMEOUTS, ...set };
  const given = (name: string) => Object.hasOwn(raw as object, name);
  // An attempt can never outlast its request's overall deadline, nor a connection its attempt. A default gives
  // way to a request deadline set beyond it; two values set against each other are a mistake to point out.
  if (out.operationMs < out.requestMs) {
    if (given('operation'))
      p.add(`${PATH}.operation`, `must be at least ${PATH}.request (${showDuration(out.requestMs)})`);
    else out.operationMs = out.requestMs;
  }
  if (out.connectMs > out.requestMs) {
    if (given('connect'))
      p.add(`${PATH}.connect`, `must be at most ${PATH}.request (${showDuration(out.requestMs)})`);
    else out.connectMs = out.requestMs;
  }
  return out;
}
