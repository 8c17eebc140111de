// bt_index_check on every btree index of a database: proves the restored index pages are consistent (and,
// reading them, surfaces checksum failures). The pass itself and its bounds are in amcheck-pass.ts.
import type pg from 'pg';
import type { Target } from './amcheck-pass.js';

export async function listBtreeIndexes(client: pg.Client, withShared: boolean): Promise<Target[]> {
  const r = await client.query<Target>(
    `SELECT c.oid::text AS oid, format('%I.%I', n.nspname, c.relname) AS name,
            pg_relation_filepath(c.oid) AS path,
            (pg_relation_size(c.oid) / current_setting('block_size')::int)::float8 AS pages
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam
       JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE am.amname = 'btree' AND c.relpersistence <> 't' AND i.indisvalid AND i.indisready
        AND ($1 OR NOT c.relisshared)
      ORDER BY c.oid`,
    [withShared],
  );
  return r.rows;
}

/** bt_index_check raises on the first inconsistency: the error is the problem. */
export async function checkBtree(client: pg.Client, schema: string, t: Target): Promise<null> {
  await client.query(`SELECT ${schema}.bt_index_check($1::oid::regclass)`, [t.oid]);
  return null;
}
