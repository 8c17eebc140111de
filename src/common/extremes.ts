// The largest and smallest of many numbers. Math.max(...values) passes each value as an argument, and past about
// 120,000 of them (the WAL segments of a big archive) V8 throws "Maximum call stack size exceeded".

/** The largest value, or `empty` when there is none. */
export function maxOf<T = number>(
  values: Iterable<number>,
  empty: number | T = Number.NEGATIVE_INFINITY,
): number | T {
  let out: number | undefined;
  for (const v of values) if (out === undefined || v > out) out = v;
  return out ?? empty;
}

/** The smallest value, or `empty` when there is none. */
export function minOf<T = number>(
  values: Iterable<number>,
  empty: number | T = Number.POSITIVE_INFINITY,
): number | T {
  let out: number | undefined;
  for (const v of values) if (out === undefined || v < out) out = v;
  return out ?? empty;
}
