// verify_heapam on every permanent table, TOAST table and materialized view of a database: reads every page of
// the main fork, so a relation whose file was lost in the restore ("could not open file") or whose pages are
// damaged is named, with its file. Catalogs included: a restore missing one of them is as broken.
import type pg from 'pg';
import type { Target } from './amcheck-pass.js';

type HeapKind = 'r' | 't' | 'm';

export interface HeapTarget extends Target {
  readonly kind: HeapKind;
}

export interface HeapKinds {
  tables: number;
  toast: number;
  matviews: number;
}

/** Shared catalogs (pg_database, pg_authid, ...) are the same files in every database: list them once. */
export async function listHeaps(client: pg.Client, withShared: boolean): Promise<HeapTarget[]> {
  const r = await client.query<HeapTarget>(
    `SELECT c.oid::text AS oid, c.relkind AS kind, format('%I.%I', n.nspname, c.relname) AS name,
            pg_relation_filepath(c.oid) AS path,
            (pg_relation_size(c.oid) / current_setting('block_size')::int)::float8 AS pages
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'm', 't') AND c.relpersistence = 'p' AND ($1 OR NOT c.relisshared)
      ORDER BY c.oid`,
    [withShared],
  );
  return r.rows;
}

/** The relation's problems, summarised (the first three, with block and offset), or null when none. */
export async function verifyHeap(client: pg.Client, schema: string, t: HeapTarget): Promise<string | null> {
  const r = await client.query<{ n: number; sample: string[] | null }>(
    `SELECT count(*)::int AS n,
            (array_agg(format('block %s%s: %s', blkno,
                              CASE WHEN offnum IS NULL THEN '' ELSE format(' offset %s', offnum) END, msg)
                       ORDER BY blkno, offnum))[1:3] AS sample
       FROM ${schema}.verify_heapam($1::oid::regclass)`,
    [t.oid],
  );
  const n = r.rows[0]?.n ?? 0;
  if (n === 0) return null;
  return `${n} problem(s): ${(r.rows[0]?.sample ?? []).join('; ')}`;
}

export function countKind(k: HeapKinds, t: HeapTarget): void {
  if (t.kind === 't') k.toast++;
  else if (t.kind === 'm') k.matviews++;
  else k.tables++;
}
