// Small waits and one-off queries shared by tests that watch servers change state (standbys, promotions).
import pg from 'pg';

/** One query on a fresh connection. */
export async function q<R extends pg.QueryResultRow>(conn: string, sql: string): Promise<R[]> {
  const c = new pg.Client({ connectionString: conn });
  await c.connect();
  try {
    return (await c.query<R>(sql)).rows;
  } finally {
    await c.end();
  }
}

/** Polls fn until it returns a value; a generous deadline, never a timing assertion. */
export async function until<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs = 180_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${String(last ?? '')}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
