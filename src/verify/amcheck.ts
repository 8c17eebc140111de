// bt_index_check on every btree index of the database: proves the restored index pages are consistent (and,
// reading them, surfaces checksum failures). Bounded by an index count and a time budget so a huge database
// gives a partial answer (a warn) instead of an endless verify.
import type pg from 'pg';
import { type Draft, oneLine } from './check-result.js';

export interface AmcheckOptions {
  readonly client: pg.Client;
  readonly inRecovery: boolean;
  readonly maxIndexes: number;
  readonly budgetMs: number;
  readonly signal?: AbortSignal | undefined;
}

export async function amcheckIndexes(o: AmcheckOptions): Promise<Draft> {
  const { client } = o;
  let schema = await installedIn(client);
  if (schema === undefined) {
    if (o.inRecovery) {
      return {
        status: 'warn',
        finding: 'amcheck skipped: the server is in recovery and the amcheck extension is not installed',
        hint: 'CREATE EXTENSION needs a writable server: promote it, or install amcheck on the primary',
      };
    }
    try {
      await client.query('CREATE EXTENSION IF NOT EXISTS amcheck');
      schema = (await installedIn(client)) ?? 'public';
    } catch (e) {
      return {
        status: 'warn',
        finding: `amcheck unavailable: ${oneLine((e as Error).message)}`,
        hint: 'install the PostgreSQL contrib package, and connect as a superuser',
      };
    }
  }
  const idx = await client.query<{ oid: number; name: string }>(
    `SELECT c.oid::int AS oid, format('%I.%I', n.nspname, c.relname) AS name
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam
       JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE am.amname = 'btree' AND c.relpersistence <> 't' AND i.indisvalid AND i.indisready
      ORDER BY c.oid`,
  );
  const all = idx.rows;
  const deadline = Date.now() + o.budgetMs;
  const corrupt: string[] = [];
  let checked = 0;
  for (const ix of all.slice(0, o.maxIndexes)) {
    o.signal?.throwIfAborted();
    if (Date.now() > deadline) break;
    try {
      await client.query(`SELECT ${schema}.bt_index_check($1::oid::regclass)`, [ix.oid]);
    } catch (e) {
      if ((e as { code?: string }).code === '42501') {
        return {
          status: 'warn',
          finding: `amcheck not permitted: ${oneLine((e as Error).message)}`,
          hint: 'connect as a superuser, or GRANT EXECUTE on the amcheck functions (or pg_amcheck) to this user',
        };
      }
      // The index may have been dropped meanwhile (42P01): not corruption.
      if ((e as { code?: string }).code !== '42P01')
        corrupt.push(`${ix.name} (${oneLine((e as Error).message)})`);
    }
    checked++;
  }
  if (corrupt.length) {
    return {
      status: 'fail',
      finding: `${corrupt.length} of ${checked} btree index(es) failed bt_index_check: ${corrupt.slice(0, 3).join('; ')}`,
      hint: 'REINDEX the named indexes; if the table data is damaged too, restore from another backup',
      value: corrupt.length,
    };
  }
  if (checked < all.length) {
    return {
      status: 'warn',
      finding: `checked ${checked} of ${all.length} btree indexes (bounded); no corruption found in those`,
      hint: 'raise the bounds (--amcheck-max-indexes, --amcheck-budget) for a complete check',
      value: 0,
    };
  }
  return {
    status: 'pass',
    finding: `${checked} btree index(es) verified with bt_index_check`,
    hint: '',
    value: 0,
  };
}

/** The extension's schema, quoted, so the call does not depend on search_path; undefined when absent. */
async function installedIn(client: pg.Client): Promise<string | undefined> {
  const r = await client.query<{ s: string }>(
    "SELECT quote_ident(n.nspname) AS s FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'amcheck'",
  );
  return r.rows[0]?.s;
}
