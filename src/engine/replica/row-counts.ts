// Exact row counts of the user tables in every database of a cluster, to compare the recovered cluster with
// its copy under the original name. Capped: a failback is not the place to scan a thousand huge tables, and
// a sample of the first ones (by name) still catches a restore from the wrong backup.

import type pg from 'pg';
import { withClient } from '../../postgres/connect.js';

const MAX_TABLES = 200;

const TABLES_SQL = `SELECT format('%I.%I', n.nspname, c.relname) AS t FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
    AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
  ORDER BY 1`;

/** "db.schema.table" -> rows. */
export async function tableRowCounts(connectionString: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const url = /^postgres(ql)?:\/\//.test(connectionString);
  // Other databases are reachable only through a URL we can change; a key=value string counts its own.
  const sql = url
    ? 'SELECT datname AS d FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY 1'
    : 'SELECT current_database() AS d';
  const dbs = await run(connectionString, async (c) =>
    (await c.query<{ d: string }>(sql)).rows.map((r) => r.d),
  );
  for (const db of dbs) {
    if (out.size >= MAX_TABLES) break;
    await run(url ? withDatabase(connectionString, db) : connectionString, async (c) => {
      const tables = (await c.query<{ t: string }>(TABLES_SQL)).rows.map((r) => r.t);
      for (const t of tables.slice(0, MAX_TABLES - out.size)) {
        // The name comes from format('%I.%I'): already quoted.
        const [row] = (await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${t}`)).rows;
        out.set(`${db}.${t}`, Number(row?.n ?? 0));
      }
    });
  }
  return out;
}

export interface RowComparison {
  readonly tables: number;
  readonly matching: number;
  readonly differing: ReadonlyArray<{ table: string; recovered: number | null; restored: number | null }>;
}

export function compareRowCounts(
  recovered: Map<string, number>,
  restored: Map<string, number>,
): RowComparison {
  const names = [...new Set([...recovered.keys(), ...restored.keys()])].sort();
  const differing = names
    .filter((n) => recovered.get(n) !== restored.get(n))
    .map((n) => ({ table: n, recovered: recovered.get(n) ?? null, restored: restored.get(n) ?? null }));
  return { tables: names.length, matching: names.length - differing.length, differing };
}

function withDatabase(conn: string, db: string): string {
  const u = new URL(conn);
  u.pathname = `/${encodeURIComponent(db)}`;
  return u.toString();
}

function run<T>(conn: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  return withClient(conn, { application: 'pgdr_failback', what: 'PostgreSQL to count rows' }, fn);
}
