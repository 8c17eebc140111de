// One amcheck pass over a database's relations (heaps or btree indexes), within the shared bounds: each
// relation's problem (a missing file, a damaged page) is recorded under its name and the pass goes on; only
// the budget, a missing permission or a lost connection end it early, and each says so in the tally.
import type { AmcheckBudget, Cut } from './amcheck-budget.js';
import { oneLine } from './check-result.js';

/** A relation with storage, as listed from pg_class. */
export interface Target {
  readonly oid: string;
  /** schema.name, quoted where needed. */
  readonly name: string;
  /** pg_relation_filepath: relative to the data folder. */
  readonly path: string | null;
  /** Pages in the main fork when listed (0 when its file is missing). */
  readonly pages: number;
}

export interface Tally {
  /** Relations listed in the databases reached. */
  found: number;
  checked: number;
  pages: number;
  /** "schema.name (path): problem", one per relation. */
  readonly failures: string[];
  cut: Cut | null;
  /** The server refused the check function (42501). */
  denied: string | null;
}

export const newTally = (): Tally => ({
  found: 0,
  checked: 0,
  pages: 0,
  failures: [],
  cut: null,
  denied: null,
});

export interface PassOptions<T extends Target> {
  readonly targets: readonly T[];
  readonly max: number;
  readonly budget: AmcheckBudget;
  readonly tally: Tally;
  /** Names the database in findings when more than one is checked. */
  readonly database: string | null;
  /** Runs the check on one relation: a problem text, or null when it is sound. */
  readonly check: (t: T) => Promise<string | null>;
  readonly onChecked?: (t: T) => void;
  readonly signal?: AbortSignal | undefined;
}

export async function runPass<T extends Target>(o: PassOptions<T>): Promise<void> {
  const { tally } = o;
  for (const t of o.targets) {
    o.signal?.throwIfAborted();
    if (tally.cut || tally.denied) return;
    if (tally.checked >= o.max) {
      tally.cut = 'count';
      return;
    }
    if (o.budget.expired()) {
      tally.cut = 'time';
      return;
    }
    let problem: string | null;
    try {
      problem = await o.check(t);
    } catch (e) {
      const code = (e as { code?: string }).code;
      const message = oneLine((e as Error).message ?? String(e));
      // statement_timeout, set to what is left of the budget.
      if (code === '57014') {
        tally.cut = 'time';
        return;
      }
      // Dropped meanwhile: not corruption.
      if (code === '42P01') continue;
      if (code === '42501') {
        tally.denied = message;
        return;
      }
      problem = message;
      if (code === undefined) {
        // The session is gone (the server may have crashed on this very relation): nothing more runs in it.
        tally.checked++;
        tally.failures.push(`${where(t, o.database)}: ${problem}`);
        return;
      }
    }
    tally.checked++;
    tally.pages += t.pages;
    o.onChecked?.(t);
    if (problem !== null) tally.failures.push(`${where(t, o.database)}: ${problem}`);
  }
}

/** "public.t in database app (base/16384/16390)". */
function where(t: Target, database: string | null): string {
  const db = database === null ? '' : ` in database ${database}`;
  return `${t.name}${db}${t.path ? ` (${t.path})` : ''}`;
}
