// Makes amcheck usable in one database: finds (or, on a writable server, creates) the extension and says
// whether its verify_heapam exists (amcheck 1.3, PostgreSQL 14 and later). When it cannot, says why, so the
// run reports a partial verification instead of a pass.
import type pg from 'pg';
import { oneLine } from './check-result.js';

export type AmcheckSetup =
  | {
      readonly ok: true;
      /** The extension's schema, quoted, so calls do not depend on search_path. */
      readonly schema: string;
      /** Why heaps cannot be checked here; null when verify_heapam exists. */
      readonly noHeap: { readonly why: string; readonly hint: string } | null;
    }
  | { readonly ok: false; readonly why: string; readonly hint: string };

export async function setupAmcheck(
  client: pg.Client,
  o: { readonly inRecovery: boolean; readonly versionNum: number },
): Promise<AmcheckSetup> {
  let schema = await installedIn(client);
  if (schema === undefined) {
    if (o.inRecovery) {
      return {
        ok: false,
        why: 'the server is in recovery and the amcheck extension is not installed',
        hint: 'CREATE EXTENSION needs a writable server: promote it, or install amcheck on the primary',
      };
    }
    try {
      await client.query('CREATE EXTENSION IF NOT EXISTS amcheck');
      schema = (await installedIn(client)) ?? 'public';
    } catch (e) {
      return {
        ok: false,
        why: `amcheck unavailable: ${oneLine((e as Error).message)}`,
        hint: 'install the PostgreSQL contrib package, and connect as a superuser',
      };
    }
  }
  const r = await client.query<{ ok: boolean }>('SELECT to_regprocedure($1) IS NOT NULL AS ok', [
    `${schema}.verify_heapam(regclass,boolean,boolean,text,bigint,bigint)`,
  ]);
  if (r.rows[0]?.ok) return { ok: true, schema, noHeap: null };
  const major = Math.floor(o.versionNum / 10000);
  const noHeap =
    major < 14
      ? {
          why: `verify_heapam needs PostgreSQL 14 or later (amcheck 1.3); this server is PostgreSQL ${major}`,
          hint: 'only the btree indexes were checked: a lost or damaged table file goes unnoticed until PostgreSQL 14',
        }
      : {
          why: 'the installed amcheck extension predates verify_heapam (amcheck 1.3)',
          hint: 'ALTER EXTENSION amcheck UPDATE (on the primary, if this server is in recovery)',
        };
  return { ok: true, schema, noHeap };
}

async function installedIn(client: pg.Client): Promise<string | undefined> {
  const r = await client.query<{ s: string }>(
    "SELECT quote_ident(n.nspname) AS s FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'amcheck'",
  );
  return r.rows[0]?.s;
}
