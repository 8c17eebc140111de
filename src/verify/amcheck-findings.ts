// Turns an amcheck run's tallies into the two checks (`amcheck-heap`, `amcheck` for btree indexes) and the
// counts a report shows. A run that left anything unchecked (bounds, no amcheck, no verify_heapam, no
// permission) says "partial" and is a warn at best: partial verification is never a plain pass.
import { type AmcheckBounds, partialText, RAISE_BOUNDS_HINT } from './amcheck-budget.js';
import type { Tally } from './amcheck-pass.js';
import type { Draft } from './check-result.js';
import type { HeapKinds } from './heapcheck.js';

export interface Gap {
  readonly why: string;
  readonly hint: string;
}

export interface AmcheckFacts {
  readonly bounds: AmcheckBounds;
  /** Databases listed for checking (the connected one first). */
  readonly databases: readonly string[];
  /** Databases amcheck could not run in, and why. */
  readonly unavailable: ReadonlyArray<Gap & { readonly database: string }>;
  /** Why verify_heapam is missing (PostgreSQL 13, an old amcheck); null when it ran. */
  readonly noHeap: Gap | null;
  /** Databases that could not be reached or listed: failures, named. */
  readonly databaseFailures: readonly string[];
  readonly heap: Tally & HeapKinds;
  readonly btree: Tally;
}

/** The counts for reports (`pgdr verify --format json`, the drill report). */
export interface AmcheckSummary {
  /** Databases amcheck ran in. */
  readonly databases: number;
  readonly tables: number;
  readonly toast: number;
  readonly matviews: number;
  /** Heap relations found (checked or not). */
  readonly relationsFound: number;
  readonly indexes: number;
  readonly indexesFound: number;
  /** Heap and index pages checked. */
  readonly pages: number;
  readonly failures: number;
  /** What was left unchecked, and why; null when everything was checked. */
  readonly partial: string | null;
}

const LOST_HINT =
  'the restored files are missing or damaged: the data in them is lost; restore from another backup, and check the backups (pgdr backup verify)';
const DENIED_HINT =
  'connect as a superuser, or GRANT EXECUTE on the amcheck functions (or pg_amcheck) to this user';

export function heapDraft(f: AmcheckFacts): Draft {
  const h = f.heap;
  const failures = [...f.databaseFailures, ...h.failures];
  return draft(h, heapGaps(f), {
    failure: `${failures.length} failure(s) in ${h.checked} relation(s) checked with verify_heapam: ${first(failures)}`,
    failures: failures.length,
    hint: LOST_HINT,
    pass: `${h.checked} relations verified with verify_heapam (${kinds(h)}; ${h.pages} pages)${inDatabases(f)}`,
  });
}

export function btreeDraft(f: AmcheckFacts): Draft {
  const b = f.btree;
  return draft(b, btreeGaps(f), {
    failure: `${b.failures.length} of ${b.checked} btree index(es) failed bt_index_check: ${first(b.failures)}`,
    failures: b.failures.length,
    hint: 'REINDEX the named indexes; if the table data is damaged too, restore from another backup',
    pass: `${b.checked} btree index(es) verified with bt_index_check (${b.pages} pages)${inDatabases(f)}`,
  });
}

/** A failure fails (saying what was left unchecked too); a gap alone warns "partial"; only a full run passes. */
function draft(
  t: Tally,
  gaps: readonly Gap[],
  text: { failure: string; failures: number; hint: string; pass: string },
): Draft {
  const partial = gaps.length ? `partial: ${gaps.map((g) => g.why).join('; ')}` : null;
  if (text.failures) {
    return {
      status: 'fail',
      finding: `${text.failure}${partial ? `; ${partial}` : ''}`,
      hint: text.hint,
      value: text.failures,
    };
  }
  if (partial) {
    return {
      status: 'warn',
      finding: `${partial}${t.checked ? '; no corruption found in those' : ''}`,
      hint: gaps[0]!.hint,
      value: 0,
    };
  }
  return { status: 'pass', finding: text.pass, hint: '', value: 0 };
}

export function summarize(f: AmcheckFacts): AmcheckSummary {
  const gaps = [...new Set([...heapGaps(f), ...btreeGaps(f)].map((g) => g.why))];
  return {
    databases: f.databases.length - f.unavailable.length - f.databaseFailures.length,
    tables: f.heap.tables,
    toast: f.heap.toast,
    matviews: f.heap.matviews,
    relationsFound: f.heap.found,
    indexes: f.btree.checked,
    indexesFound: f.btree.found,
    pages: f.heap.pages + f.btree.pages,
    failures: f.databaseFailures.length + f.heap.failures.length + f.btree.failures.length,
    partial: gaps.length ? gaps.join('; ') : null,
  };
}

/** "412 relations (380 tables, 30 TOAST, 2 materialized views) and 120 btree indexes in 2 databases, 9000 pages". */
export function summaryText(s: AmcheckSummary): string {
  const h = s.tables + s.toast + s.matviews;
  const dbs = s.databases === 1 ? '1 database' : `${s.databases} databases`;
  return `${h} relations (${kinds(s)}) and ${s.indexes} btree indexes in ${dbs}, ${s.pages} pages; ${s.failures} failure(s)`;
}

function unavailableGaps(f: AmcheckFacts): Gap[] {
  if (!f.unavailable.length) return [];
  const all = f.unavailable.length === f.databases.length;
  const first0 = f.unavailable[0]!;
  const where = all ? '' : ` in database(s) ${f.unavailable.map((u) => u.database).join(', ')}`;
  return [{ why: `not checked${where}: ${first0.why}`, hint: first0.hint }];
}

function heapGaps(f: AmcheckFacts): Gap[] {
  const noHeap = f.noHeap ? [{ why: `heaps not checked: ${f.noHeap.why}`, hint: f.noHeap.hint }] : [];
  return [...unavailableGaps(f), ...noHeap, ...passGaps(f, f.heap, 'verify_heapam', 'relations')];
}

function btreeGaps(f: AmcheckFacts): Gap[] {
  return [...unavailableGaps(f), ...passGaps(f, f.btree, 'bt_index_check', 'btree indexes')];
}

function passGaps(f: AmcheckFacts, t: Tally, fn: string, noun: 'relations' | 'btree indexes'): Gap[] {
  const out: Gap[] = [];
  if (t.denied) out.push({ why: `${fn} not permitted: ${t.denied}`, hint: DENIED_HINT });
  if (t.cut) {
    const why = partialText({ checked: t.checked, total: t.found, noun, cut: t.cut, bounds: f.bounds });
    out.push({ why, hint: RAISE_BOUNDS_HINT });
  }
  return out;
}

function kinds(k: HeapKinds): string {
  return `${plural(k.tables, 'table')}, ${k.toast} TOAST, ${plural(k.matviews, 'materialized view')}`;
}

function inDatabases(f: AmcheckFacts): string {
  return f.databases.length > 1 ? ` in ${f.databases.length} databases` : '';
}

function first(list: readonly string[]): string {
  const more = list.length > 3 ? ` (and ${list.length - 3} more)` : '';
  return `${list.slice(0, 3).join('; ')}${more}`;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
