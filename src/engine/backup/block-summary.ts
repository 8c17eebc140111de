// What PostgreSQL 17+'s WAL summaries say changed between the parent backup's start and this one's: the
// summaries must cover the whole range on the timeline without a gap, else the backup stays file level and says
// why. Only main forks of relations in pg_default and global are taken block by block: the free space map is
// not fully WAL-logged, and everything else (new relations, other forks, tablespaces) stays file level.
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { formatLsn as lsn, parseLsn } from '../../catalog/wal-name.js';

export interface Summary {
  readonly tli: number;
  readonly start: bigint;
  readonly end: bigint;
}

/** Per relation file path prefix ('data/base/5/16384'): the modified block numbers and the lowest limit block. */
interface RelationChanges {
  readonly modified: Set<number>;
  limit: number | undefined;
}

export type BlockSummary =
  | { readonly covered: true; readonly relations: ReadonlyMap<string, RelationChanges> }
  | { readonly covered: false; readonly reason: string };

/** The summaries, in order, that cover [from, to) on `tli` with no gap; a reason when they do not. */
export function coverage(all: readonly Summary[], tli: number, from: bigint, to: bigint): Summary[] | string {
  const mine = all.filter((s) => s.tli === tli && s.end > from && s.start < to);
  mine.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const picked: Summary[] = [];
  let reached = from;
  for (const s of mine) {
    if (s.start > reached) break;
    if (s.end <= reached) continue;
    picked.push(s);
    reached = s.end;
    if (reached >= to) return picked;
  }
  return `the WAL summaries on timeline ${tli} do not cover ${lsn(reached)} to ${lsn(to)}`;
}

/**
 * The key of a relation's main fork in the summaries: 'data/base/DB/REL', 'data/global/REL', or, in a
 * tablespace, 'SPC/DB/REL' (the file's own key has the PG_<major>_<catversion> folder between, see
 * incremental-blocks.ts).
 */
export function relationKey(tablespace: number, database: number, relfilenode: number): string {
  if (tablespace === 1663) return `data/base/${database}/${relfilenode}`;
  if (tablespace === 1664) return `data/global/${relfilenode}`;
  return `${tablespace}/${database}/${relfilenode}`;
}

export async function readBlockSummary(
  client: pg.Client,
  o: { versionNum: number; timeline: number; from: string; to: string; waitMs?: number },
): Promise<BlockSummary> {
  if (o.versionNum < 170000)
    return { covered: false, reason: 'block level needs PostgreSQL 17 or later (WAL summaries)' };
  const on = await client.query<{ s: string }>("SELECT current_setting('summarize_wal') AS s");
  if (on.rows[0]?.s !== 'on') return { covered: false, reason: 'summarize_wal is off on the server' };
  const from = parseLsn(o.from);
  const to = parseLsn(o.to);
  await waitSummarized(client, to, o.waitMs ?? 60_000);
  const listed = await client.query<{ tli: string; start_lsn: string; end_lsn: string }>(
    'SELECT tli, start_lsn, end_lsn FROM pg_available_wal_summaries()',
  );
  const summaries = listed.rows.map((r) => ({
    tli: Number(r.tli),
    start: parseLsn(r.start_lsn),
    end: parseLsn(r.end_lsn),
  }));
  const picked = coverage(summaries, o.timeline, from, to);
  if (typeof picked === 'string') return { covered: false, reason: picked };
  const relations = new Map<string, RelationChanges>();
  for (const s of picked) {
    const rows = await client.query<{
      relfilenode: string;
      reltablespace: string;
      reldatabase: string;
      relforknumber: number;
      relblocknumber: string;
      is_limit_block: boolean;
    }>('SELECT * FROM pg_wal_summary_contents($1, $2, $3) WHERE relforknumber = 0', [
      s.tli,
      lsn(s.start),
      lsn(s.end),
    ]);
    for (const r of rows.rows) {
      const key = relationKey(Number(r.reltablespace), Number(r.reldatabase), Number(r.relfilenode));
      let c = relations.get(key);
      if (c === undefined) {
        c = { modified: new Set(), limit: undefined };
        relations.set(key, c);
      }
      const n = Number(r.relblocknumber);
      if (r.is_limit_block) c.limit = c.limit === undefined ? n : Math.min(c.limit, n);
      else c.modified.add(n);
    }
  }
  return { covered: true, relations };
}

/** The summarizer writes a summary at each checkpoint's redo point; give it time to reach this backup's start. */
async function waitSummarized(client: pg.Client, to: bigint, waitMs: number): Promise<void> {
  const until = Date.now() + waitMs;
  while (Date.now() < until) {
    const r = await client.query<{ l: string | null }>(
      'SELECT summarized_lsn::text AS l FROM pg_get_wal_summarizer_state()',
    );
    const l = r.rows[0]?.l;
    if (l != null && parseLsn(l) >= to) return;
    await sleep(200);
  }
}
