// The drill history in the bucket: one object per drill under <server>/pgdr/drills/, written once with
// if-absent, so concurrent drills never read-modify-write a shared object. barman-cloud reads only base/ and
// wals/ below the server folder, and so do pgdr's catalogs: these objects are invisible to both.
import { joinKey, type ObjectStore } from '../storage/object-store.js';
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
  readonly report: DrillReport | null;
  /** Why the object could not be read, when it could not. */
  readonly problem: string | null;
}

/** Newest first; `limit` bounds how many objects are read. */
export async function readHistory(
  store: ObjectStore,
  serverName: string,
  o: { limit?: number; signal?: AbortSignal } = {},
): Promise<HistoryEntry[]> {
  const { objects } = await store.list(historyPrefix(serverName), { signal: o.signal });
  const keys = objects
    .map((x) => x.key)
    .filter((k) => k.endsWith('.json'))
    .sort()
    .reverse()
    .slice(0, o.limit ?? 100);
  const out: HistoryEntry[] = [];
  for (const key of keys) {
    try {
      const report = JSON.parse((await store.getBuffer(key, { signal: o.signal })).toString('utf8'));
      out.push({ key, report: report as DrillReport, problem: null });
    } catch (e) {
      o.signal?.throwIfAborted();
      out.push({ key, report: null, problem: (e as Error).message });
    }
  }
  return out;
}
