// amcheck over the databases a verification covers: first verify_heapam on every heap of every database (a
// lost relation file is the worst a restore can hide), then bt_index_check on every btree index, all within
// one set of bounds. Every database is listed even once the budget is spent, so "120 of 400" is the truth.
import type pg from 'pg';
import { checkBtree, listBtreeIndexes } from './amcheck.js';
import { type AmcheckBounds, AmcheckBudget } from './amcheck-budget.js';
import {
  type AmcheckFacts,
  type AmcheckSummary,
  btreeDraft,
  type Gap,
  heapDraft,
  summarize,
} from './amcheck-findings.js';
import { newTally, runPass, type Target } from './amcheck-pass.js';
import { type AmcheckSetup, setupAmcheck } from './amcheck-setup.js';
import { type CheckResult, type Draft, oneLine, timed } from './check-result.js';
import { withDatabase } from './database-connection.js';
import { countKind, type HeapTarget, listHeaps, verifyHeap } from './heapcheck.js';
import { openSession } from './pg-session.js';
import type { ServerFacts } from './server-checks.js';

export interface AmcheckRunOptions {
  /** The session verify runs in; its database is checked first. */
  readonly client: pg.Client;
  /** To reach the other databases (allDatabases). */
  readonly connection: string;
  readonly facts: ServerFacts;
  /** Every database that accepts connections (templates aside), not only the connected one. */
  readonly allDatabases: boolean;
  readonly bounds: AmcheckBounds;
  readonly signal?: AbortSignal | undefined;
}

interface AmcheckOutcome {
  readonly heap: CheckResult;
  readonly btree: CheckResult;
  readonly summary: AmcheckSummary;
}

/** The two checks (`amcheck-heap`, `amcheck`) and the counts; an unexpected error fails both, named. */
export async function amcheckChecks(
  o: AmcheckRunOptions,
): Promise<{ checks: CheckResult[]; summary: AmcheckSummary | null }> {
  try {
    const run = await runAmcheck(o);
    return { checks: [run.heap, run.btree], summary: run.summary };
  } catch (e) {
    o.signal?.throwIfAborted();
    const failed = await timed('amcheck-heap', () => {
      throw e;
    });
    return { checks: [failed, { ...failed, name: 'amcheck' }], summary: null };
  }
}

interface Prepared {
  readonly database: string;
  readonly schema: string;
  readonly indexes: readonly Target[];
}

/** Listing and setup get a fixed timeout; the checks get what is left of the budget. */
const LIST_TIMEOUT_MS = 60_000;

async function runAmcheck(o: AmcheckRunOptions): Promise<AmcheckOutcome> {
  const t0 = performance.now();
  const budget = new AmcheckBudget(o.bounds);
  const databases = await databasesOf(o.client, o.allDatabases);
  const heap = { ...newTally(), tables: 0, toast: 0, matviews: 0 };
  const btree = newTally();
  const unavailable: Array<Gap & { database: string }> = [];
  const databaseFailures: string[] = [];
  let noHeap: Gap | null = null;
  const label = (db: string) => (databases.length > 1 ? db : null);
  const prepared: Prepared[] = [];
  for (const [i, database] of databases.entries()) {
    o.signal?.throwIfAborted();
    await inDatabase(o, database, i === 0, databaseFailures, async (client) => {
      await setStatementTimeout(client, LIST_TIMEOUT_MS);
      const heaps = await listHeaps(client, i === 0);
      const indexes = await listBtreeIndexes(client, i === 0);
      heap.found += heaps.length;
      btree.found += indexes.length;
      const setup: AmcheckSetup = await setupAmcheck(client, o.facts);
      if (!setup.ok) {
        unavailable.push({ database, why: setup.why, hint: setup.hint });
        return;
      }
      prepared.push({ database, schema: setup.schema, indexes });
      if (setup.noHeap) {
        noHeap = setup.noHeap;
        return;
      }
      await setStatementTimeout(client, budget.remainingMs());
      await runPass<HeapTarget>({
        targets: heaps,
        max: o.bounds.maxRelations,
        budget,
        tally: heap,
        database: label(database),
        check: (t) => verifyHeap(client, setup.schema, t),
        onChecked: (t) => countKind(heap, t),
        signal: o.signal,
      });
    });
  }
  const t1 = performance.now();
  for (const p of prepared) {
    o.signal?.throwIfAborted();
    if (!p.indexes.length) continue;
    if (budget.expired()) {
      btree.cut = 'time';
      break;
    }
    await inDatabase(o, p.database, p.database === databases[0], databaseFailures, async (client) => {
      await setStatementTimeout(client, budget.remainingMs());
      await runPass({
        targets: p.indexes,
        max: o.bounds.maxIndexes,
        budget,
        tally: btree,
        database: label(p.database),
        check: (t) => checkBtree(client, p.schema, t),
        signal: o.signal,
      });
    });
  }
  const facts: AmcheckFacts = {
    bounds: o.bounds,
    databases,
    unavailable,
    noHeap,
    databaseFailures,
    heap,
    btree,
  };
  const t2 = performance.now();
  return {
    heap: named('amcheck-heap', heapDraft(facts), t1 - t0),
    btree: named('amcheck', btreeDraft(facts), t2 - t1),
    summary: summarize(facts),
  };
}

function named(name: string, d: Draft, ms: number): CheckResult {
  return { ...d, name, durationMs: Math.round(ms) };
}

/** The connected database first, then the others in name order. */
async function databasesOf(client: pg.Client, all: boolean): Promise<string[]> {
  const r = await client.query<{ datname: string }>(
    `SELECT datname FROM pg_database
      WHERE datname = current_database()
         OR ($1 AND datallowconn AND NOT datistemplate AND datconnlimit <> -2)
      ORDER BY datname <> current_database(), datname`,
    [all],
  );
  return r.rows.map((x) => x.datname);
}

/**
 * Runs body in a session on the database: the verify session itself for the connected one (its timeout reset
 * afterwards), a new one otherwise. A database that cannot be reached is a failure under its name: a restore
 * that lost a database's folder must not pass.
 */
async function inDatabase(
  o: AmcheckRunOptions,
  database: string,
  connected: boolean,
  failures: string[],
  body: (client: pg.Client) => Promise<void>,
): Promise<void> {
  let client: pg.Client | undefined;
  try {
    client = connected ? o.client : await openSession(withDatabase(o.connection, database));
    await body(client);
  } catch (e) {
    o.signal?.throwIfAborted();
    failures.push(`database ${database}: ${oneLine((e as Error).message ?? String(e))}`);
  } finally {
    if (connected) await o.client.query('RESET statement_timeout').catch(() => undefined);
    else await client?.end().catch(() => undefined);
  }
}

async function setStatementTimeout(client: pg.Client, ms: number): Promise<void> {
  await client.query(`SET statement_timeout = ${Math.max(1, Math.round(ms))}`);
}
