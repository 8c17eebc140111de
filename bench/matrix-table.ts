// The matrix's rows, its one table and its goals: pure functions of the measured numbers (unit-tested with fixed
// figures), so a run's JSON can be re-printed and re-judged later.
export const TOOLS = ['pgdr', 'pgBackRest', 'barman-cloud'] as const;
export type Tool = (typeof TOOLS)[number];

export const PATHS = [
  'WAL archive',
  'WAL fetch',
  'full backup',
  'incremental backup',
  'full restore (files only)',
  'delta restore',
  'restore latest (end to end)',
  'PITR (end to end)',
  // pgdr only, on PostgreSQL 17 (WAL summaries): what the incremental goal is judged on.
  'full backup (PostgreSQL 17)',
  'incremental backup (block level, PostgreSQL 17)',
] as const;
export type MatrixPath = (typeof PATHS)[number];

export interface Cell {
  readonly seconds: number;
  readonly peakRssMB: number;
  /** Bytes uploaded (archive, backups) or downloaded (fetch, restores); undefined when not measured. */
  readonly bytes?: number | undefined;
  /** What MB/s is computed over: the WAL segments' size, or the data directory's. */
  readonly basisBytes: number;
  /** Share of the machine's CPU time that was busy (all processes) during the step, 0..1. */
  readonly machineBusy?: number | undefined;
}

export type Outcome =
  | { readonly status: 'ok'; readonly cell: Cell }
  /** pgdr refused the flag (the feature is not in this build). */
  | { readonly status: 'not available'; readonly why: string }
  /** The tool has no such feature. */
  | { readonly status: 'n/a'; readonly why: string }
  | { readonly status: 'skipped'; readonly why: string }
  | { readonly status: 'failed'; readonly why: string };

export interface MatrixRow {
  readonly path: MatrixPath;
  readonly tool: Tool;
  readonly outcome: Outcome;
}

const MB = 1e6;
const cellOf = (rows: readonly MatrixRow[], path: MatrixPath, tool: Tool): Cell | undefined => {
  const r = rows.find((x) => x.path === path && x.tool === tool);
  return r?.outcome.status === 'ok' ? r.outcome.cell : undefined;
};

/** pgdr's seconds over this row's: under 1 means pgdr took less time. */
export function ratio(rows: readonly MatrixRow[], row: MatrixRow): number | undefined {
  if (row.tool === 'pgdr' || row.outcome.status !== 'ok') return undefined;
  const p = cellOf(rows, row.path, 'pgdr');
  return p === undefined ? undefined : p.seconds / row.outcome.cell.seconds;
}

export function formatTable(rows: readonly MatrixRow[]): string {
  const head = ['path', 'tool', 'seconds', 'MB/s', 'peak RSS MB', 'MB moved', 'pgdr/this'];
  const widths = [47, 13, 8, 7, 12, 9, 10];
  const line = (cols: string[]) =>
    cols.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' ');
  const out = [line(head)];
  for (const r of rows) {
    const o = r.outcome;
    if (o.status !== 'ok') {
      out.push(`${line([r.path, r.tool])} ${o.status}: ${o.why}`);
      continue;
    }
    const c = o.cell;
    const q = ratio(rows, r);
    out.push(
      line([
        r.path,
        r.tool,
        c.seconds.toFixed(2),
        (c.basisBytes / MB / c.seconds).toFixed(0),
        c.peakRssMB.toFixed(0),
        c.bytes === undefined ? '-' : (c.bytes / MB).toFixed(1),
        q === undefined ? '' : `${q.toFixed(2)}x`,
      ]),
    );
  }
  return out.join('\n');
}

export interface Goal {
  readonly goal: string;
  readonly status: 'pass' | 'miss' | 'not available';
  readonly detail: string;
}

const RSS_LIMIT_MB = 300;

/** The goals of the matrix (issue 22), judged on this run's rows; a miss says by how much and what bound it. */
export function evaluateGoals(rows: readonly MatrixRow[], changed?: ChangedPages): Goal[] {
  const goals: Goal[] = [];
  const vsPgbackrest = (path: MatrixPath, goal: string, rate: boolean) => {
    const p = cellOf(rows, path, 'pgdr');
    const b = cellOf(rows, path, 'pgBackRest');
    if (p === undefined || b === undefined) {
      goals.push({ goal, status: 'not available', detail: `no ${p ? 'pgBackRest' : 'pgdr'} figure` });
      return;
    }
    const pass = p.seconds <= b.seconds;
    const pct = ((p.seconds / b.seconds - 1) * 100).toFixed(0);
    const what = rate
      ? `pgdr ${(p.basisBytes / MB / p.seconds).toFixed(1)} MB/s vs pgBackRest ${(b.basisBytes / MB / b.seconds).toFixed(1)} MB/s`
      : `pgdr ${p.seconds.toFixed(2)} s vs pgBackRest ${b.seconds.toFixed(2)} s`;
    goals.push({
      goal,
      status: pass ? 'pass' : 'miss',
      detail: pass ? what : `${what}: pgdr takes ${pct}% longer; ${bound(p)}`,
    });
  };
  vsPgbackrest('WAL archive', "WAL archive throughput >= pgBackRest async's", true);
  vsPgbackrest('full backup', "full backup time <= pgBackRest's (gzip level 1 both)", false);
  vsPgbackrest('full restore (files only)', "full restore (files only) <= pgBackRest's", false);

  goals.push(incrementalGoal(rows, changed));

  const restore = cellOf(rows, 'full restore (files only)', 'pgdr');
  const delta = cellOf(rows, 'delta restore', 'pgdr');
  const deltaGoal = 'delta restore with 2% changed >= 5x faster than a full restore';
  if (restore === undefined || delta === undefined) {
    goals.push({ goal: deltaGoal, status: 'not available', detail: unavailable(rows, 'delta restore') });
  } else {
    const x = restore.seconds / delta.seconds;
    goals.push({
      goal: deltaGoal,
      status: x >= 5 ? 'pass' : 'miss',
      detail: `${x.toFixed(1)}x (${delta.seconds.toFixed(2)} s vs ${restore.seconds.toFixed(2)} s)${x >= 5 ? '' : `: needs ${(restore.seconds / 5).toFixed(2)} s or less; ${bound(delta)}`}`,
    });
  }

  const measured = rows.filter((r) => r.tool === 'pgdr' && r.outcome.status === 'ok');
  const over = measured.filter((r) => r.outcome.status === 'ok' && r.outcome.cell.peakRssMB >= RSS_LIMIT_MB);
  const top = Math.max(0, ...measured.map((r) => (r.outcome.status === 'ok' ? r.outcome.cell.peakRssMB : 0)));
  goals.push({
    goal: `pgdr peak RSS < ${RSS_LIMIT_MB} MB on every path`,
    status: measured.length === 0 ? 'not available' : over.length === 0 ? 'pass' : 'miss',
    detail:
      over.length === 0
        ? `highest ${top.toFixed(0)} MB over ${measured.length} paths`
        : over
            .map(
              (r) => `${r.path}: ${r.outcome.status === 'ok' ? r.outcome.cell.peakRssMB.toFixed(0) : '?'} MB`,
            )
            .join(', '),
  });
  return goals;
}

const INCREMENTAL_GOAL = "incremental backup with 2% of pages changed uploads < 10% of a full's bytes";

/**
 * The blocks the change modified, as PostgreSQL 17's WAL summaries count them: the change targets 2% of
 * pgbench_accounts' pages, but each non-HOT update also writes the new row version on another page and an
 * index entry, so more pages change than the 2% the goal presumes.
 */
export interface ChangedPages {
  readonly blocks: number;
  /** Blocks of the data directory's files (its size / 8 KiB). */
  readonly total: number;
  /** The relations with the most modified blocks, most first. */
  readonly relations: readonly { readonly name: string; readonly blocks: number }[];
}

export function changedPagesText(c: ChangedPages): string {
  const top = c.relations
    .slice(0, 3)
    .map((r) => `${r.name} ${r.blocks}`)
    .join(', ');
  return `the change modified ${pct(c.blocks / c.total)} of the pages (${c.blocks} of ${c.total} blocks, per the WAL summaries: ${top})`;
}

/**
 * Judged on the PostgreSQL 17 rows (block level: the only level that can pass); the PostgreSQL 15 file-level
 * share is said alongside.
 */
function incrementalGoal(rows: readonly MatrixRow[], changed: ChangedPages | undefined): Goal {
  const block: MatrixPath = 'incremental backup (block level, PostgreSQL 17)';
  const full = cellOf(rows, 'full backup (PostgreSQL 17)', 'pgdr');
  const incr = cellOf(rows, block, 'pgdr');
  const share = (i: Cell | undefined, f: Cell | undefined) =>
    i?.bytes === undefined || f?.bytes === undefined || f.bytes === 0 ? undefined : i.bytes / f.bytes;
  const fileShare = share(cellOf(rows, 'incremental backup', 'pgdr'), cellOf(rows, 'full backup', 'pgdr'));
  const fileLevel = `${fileShare === undefined ? '' : `; file level on PostgreSQL 15: ${pct(fileShare)}`}${changed ? `; ${changedPagesText(changed)}` : ''}`;
  const s = share(incr, full);
  if (s === undefined)
    return {
      goal: INCREMENTAL_GOAL,
      status: 'not available',
      detail: `${unavailable(rows, block)}${fileLevel}`,
    };
  const pass = s < 0.1;
  const of = `(${mb(incr!.bytes!)} of ${mb(full!.bytes!)} MB)`;
  return {
    goal: INCREMENTAL_GOAL,
    status: pass ? 'pass' : 'miss',
    detail: `block level on PostgreSQL 17: ${pct(s)} ${of}${pass ? '' : `: ${((s - 0.1) * 100).toFixed(1)} points over`}${fileLevel}`,
  };
}

const pct = (share: number) => `${(share * 100).toFixed(1)}%`;
const mb = (bytes: number) => (bytes / MB).toFixed(1);

function unavailable(rows: readonly MatrixRow[], path: MatrixPath): string {
  const r = rows.find((x) => x.path === path && x.tool === 'pgdr');
  return r && r.outcome.status !== 'ok' ? `pgdr: ${r.outcome.status} (${r.outcome.why})` : 'no figure';
}

/** What likely bounded a step: the machine's CPU when it was (nearly) saturated, else disk or store waits. */
function bound(c: Cell): string {
  if (c.machineBusy === undefined) return 'bound: unknown';
  const pct = `${(c.machineBusy * 100).toFixed(0)}% of the machine's CPU busy`;
  return c.machineBusy >= 0.85 ? `bound: CPU (${pct})` : `bound: disk or store waits (${pct})`;
}

export function formatGoals(goals: readonly Goal[]): string {
  return goals.map((g) => `${g.status.toUpperCase().padEnd(13)} ${g.goal}: ${g.detail}`).join('\n');
}
