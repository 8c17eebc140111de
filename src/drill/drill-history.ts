// The drill history in the bucket: one object per drill under <server>/pgdr/drills/, written once with
// if-absent, so concurrent drills never read-modify-write a shared object. barman-cloud reads only base/ and
// wals/ below the server folder, and so do pgdr's catalogs: these objects are invisible to both.
import { readBounded, tooLarge } from '../catalog/bounded-read.js';
import { isPgdrError } from '../errors.js';
import { joinKey, type ObjectInfo, type ObjectStore } from '../storage/object-store.js';
import { drillReportProblem } from './drill-report-shape.js';
import type { DrillReport } from './drill-types.js';

export function historyPrefix(serverName: string): string {
  return joinKey(serverName, 'pgdr', 'drills') + '/';
}

/** Sorts by time: the start time leads the name, compact and fixed-width. */
export function historyKey(serverName: string, report: Pick<DrillReport, 'startedAt' | 'id'>): string {
  const stamp = report.startedAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${historyPrefix(serverName)}${stamp}-${report.id}.json`;
}

export async function appendHistory(
  store: ObjectStore,
  report: DrillReport,
  signal?: AbortSignal,
): Promise<string> {
  const key = historyKey(report.serverName, report);
  const body = Buffer.from(`${JSON.stringify(report, null, 2)}\n`);
  await store.put(key, body, { ifAbsent: true, signal });
  return key;
}

export interface HistoryEntry {
  readonly key: string;
  /** null when the object is not a drill report pgdr can show (problem says why). */
  readonly report: DrillReport | null;
  /** Why the object is invalid: not JSON, not a report's shape, or too large. */
  readonly problem: string | null;
}

/** A drill report is a few kilobytes; anything much larger is not one. */
export const MAX_REPORT_BYTES = 1024 * 1024;

/**
 * Newest first; `limit` bounds how many objects are read. An object that is not a valid report is listed with
 * its problem and never stops the listing; a failure of the store itself does.
 */
export async function readHistory(
  store: ObjectStore,
  serverName: string,
  o: { limit?: number; signal?: AbortSignal } = {},
): Promise<HistoryEntry[]> {
  const { objects } = await store.list(historyPrefix(serverName), { signal: o.signal });
  const listed = objects
    .filter((x) => x.key.endsWith('.json'))
    .sort((a, b) => (a.key < b.key ? 1 : a.key > b.key ? -1 : 0))
    .slice(0, o.limit ?? 100);
  const out: HistoryEntry[] = [];
  for (const x of listed) {
    const entry = await readEntry(store, x, o.signal);
    if (entry !== undefined) out.push(entry);
  }
  return out;
}

async function readEntry(
  store: ObjectStore,
  x: ObjectInfo,
  signal: AbortSignal | undefined,
): Promise<HistoryEntry | undefined> {
  const bound = { maxBytes: MAX_REPORT_BYTES, what: 'drill report' };
  const invalid = (problem: string) => ({ key: x.key, report: null, problem });
  if (x.size > MAX_REPORT_BYTES) return invalid(tooLarge(x.key, bound).message);
  let body: Buffer;
  try {
    body = await readBounded(store, x.key, { ...bound, signal });
  } catch (e) {
    if (isPgdrError(e, 'NOT_FOUND')) return undefined; // deleted since the listing
    if (isPgdrError(e, 'CATALOG_INVALID')) return invalid(e.message);
    throw e;
  }
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (e) {
    return invalid(`not JSON: ${(e as Error).message}`);
  }
  const problem = drillReportProblem(value);
  return problem === undefined
    ? { key: x.key, report: value as DrillReport, problem: null }
    : invalid(problem);
}
