// The bucket is read at most once per `ttlMs`: requests inside that time get the last state, and requests
// that arrive while a refresh runs share it. A browser refresh or a scrape every few seconds costs nothing.

export interface StateCache<T> {
  get(): Promise<T>;
  /** The last state without refreshing (undefined before the first refresh ends). */
  peek(): T | undefined;
}

export function stateCache<T>(o: {
  ttlMs: number;
  load: () => Promise<T>;
  now?: () => number;
}): StateCache<T> {
  const now = o.now ?? Date.now;
  let value: T | undefined;
  let loadedAt = Number.NEGATIVE_INFINITY;
  let inflight: Promise<T> | undefined;
  return {
    peek: () => value,
    get() {
      if (value !== undefined && now() - loadedAt < o.ttlMs) return Promise.resolve(value);
      inflight ??= o.load().then(
        (v) => {
          value = v;
          loadedAt = now();
          inflight = undefined;
          return v;
        },
        (e: unknown) => {
          inflight = undefined;
          throw e;
        },
      );
      return inflight;
    },
  };
}
