// Several servers in one `pgdr serve` (--config a.yaml --config b.yaml): one dashboard source per server, an
// overview of one row per server at /, and each server's full page, JSON and /metrics under /server/NAME/.
// A server whose bucket cannot be read shows its error in its row; the others are read as usual.
import { errorOf } from './collect.js';
import type { DashboardState } from './dashboard-types.js';

export interface ServedServer {
  readonly name: string;
  readonly state: () => Promise<DashboardState>;
}

/** One row of the overview (GET /api/servers). */
export interface ServerSummary {
  readonly serverName: string;
  readonly destination: string;
  /** Where this server's full dashboard is, relative to the overview. */
  readonly path: string;
  readonly refreshedAt: string;
  readonly error: DashboardState['error'];
  readonly verdict: { readonly level: 'ok' | 'warn' | 'fail'; readonly text: string } | null;
  readonly objectives: DashboardState['objectives'];
  /** Age of the newest archived WAL: the data lost if the primary died now. */
  readonly rpoMs: number | null;
  readonly newestBackup: { readonly backupId: string; readonly ageMs: number | null } | null;
  readonly newestDrill: {
    readonly result: 'pass' | 'fail';
    readonly finishedAt: string;
    readonly failedStage: string | null;
  } | null;
  /** The recovery window of the timeline a restore to latest follows. */
  readonly recoveryWindow: { readonly from: string | null; readonly to: string } | null;
}

function serverPath(name: string): string {
  return `server/${encodeURIComponent(name)}/`;
}

export function summarize(st: DashboardState): ServerSummary {
  const current = st.timelines.find((t) => t.current) ?? st.timelines.at(-1);
  const w = current?.window ?? null;
  const d = st.drills.entries[0];
  return {
    serverName: st.serverName,
    destination: st.destination,
    path: serverPath(st.serverName),
    refreshedAt: st.refreshedAt,
    error: st.error,
    verdict: st.verdict ? { level: st.verdict.level, text: st.verdict.text } : null,
    objectives: st.objectives,
    rpoMs: st.newestWal?.ageMs ?? null,
    newestBackup: st.newestBackup
      ? { backupId: st.newestBackup.backupId, ageMs: st.newestBackup.ageMs }
      : null,
    newestDrill: d ? { result: d.result, finishedAt: d.finishedAt, failedStage: d.failedStage } : null,
    recoveryWindow: w ? { from: w.from, to: w.to.archivedAt } : null,
  };
}

/** The state a server shows when its load failed outright (collect.ts reports the bucket's own failures). */
export function failedState(
  base: Pick<DashboardState, 'serverName' | 'destination' | 'objectives' | 'version'>,
  e: unknown,
): DashboardState {
  return {
    ...base,
    refreshedAt: new Date().toISOString(),
    refreshMs: 0,
    error: errorOf(e),
    verdict: null,
    status: null,
    newestBackup: null,
    newestWal: null,
    timelines: [],
    growth: null,
    backups: [],
    backupVerify: { invalid: 0, error: null },
    lastSuccessfulBackup: null,
    lastFailedBackup: null,
    drills: { entries: [], unreadable: 0, invalid: [], rtoTrend: null, error: null },
    agent: null,
    replicas: [],
    primary: null,
  };
}
