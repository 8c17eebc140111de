// A restore's stages as steps (src/common/steps.ts): plan, fetch (download, extract, sync), replay, promote.
// Their sum is the RTO. `timings` is the same in seconds, the shape `pgdr restore --format json` has always
// printed; both come from the one set of durations measured here.
import { msToSeconds, type StepResult, StepRunner } from '../../common/steps.js';
import type { DownloadResult } from './download.js';
import type { RestorePlan } from './plan.js';
import type { Confirmation } from './wait-target.js';

export type RestoreStageName = 'plan' | 'fetch' | 'replay' | 'promote';

export interface StageTimings {
  readonly planSeconds: number;
  readonly downloadSeconds: number | null;
  readonly replaySeconds: number | null;
  readonly promoteSeconds: number | null;
  /** Wall time of the whole call: the recovery time objective measured. */
  readonly totalSeconds: number;
}

export interface StageMarks {
  readonly plan: RestorePlan;
  readonly planMs: number;
  readonly fetched?: { readonly ms: number; readonly download: DownloadResult } | undefined;
  /** promoteMs is null when PostgreSQL promoted by itself, at the end of the archive or at the target. */
  readonly recovered?:
    | { readonly replayMs: number; readonly promoteMs: number | null; readonly confirmation: Confirmation }
    | undefined;
  /** Why the stages after the last one measured did not run (--plan, --no-start). */
  readonly stoppedBecause?: string;
  readonly totalMs: number;
}

/** What the plan stage did: the backup chosen and the WAL to replay. */
export function planDetail(plan: RestorePlan): string {
  return `backup ${plan.backup.backupId} (${plan.reason}), timeline ${plan.timeline}, ${plan.wal.segments} WAL segment(s)`;
}

/** What the fetch stage did: tars downloaded and files extracted. */
export function fetchDetail(plan: RestorePlan, download: DownloadResult): string {
  return `${plan.tars.length} tar(s), ${download.downloadedBytes} bytes downloaded, ${download.files} files extracted`;
}

export function restoreStages(m: StageMarks): StepResult<RestoreStageName>[] {
  const r = new StepRunner<RestoreStageName>();
  const { plan } = m;
  const why = m.stoppedBecause ?? 'not run';
  r.record({ name: 'plan', status: 'pass', durationMs: m.planMs, detail: planDetail(plan) });
  if (!m.fetched) r.skip('fetch', why);
  else
    r.record({
      name: 'fetch',
      status: 'pass',
      durationMs: m.fetched.ms,
      detail: fetchDetail(plan, m.fetched.download),
    });
  const rec = m.recovered;
  if (!rec) {
    r.skip('replay', why);
    r.skip('promote', why);
    return r.results;
  }
  const c = rec.confirmation;
  r.record({
    name: 'replay',
    status: 'pass',
    durationMs: rec.replayMs,
    detail: `replayed to ${c.replayLsn ?? '?'} on timeline ${c.timeline ?? '?'}, the server is ${c.state}`,
  });
  if (c.state !== 'promoted') r.skip('promote', `the target action left the server ${c.state}`);
  else
    r.record({
      name: 'promote',
      status: 'pass',
      durationMs: rec.promoteMs ?? 0,
      detail:
        rec.promoteMs !== null
          ? 'promoted (pg_ctl promote) after pausing at the target'
          : plan.target.kind === 'latest'
            ? 'promoted by PostgreSQL itself at the end of the archived WAL (timed within replay)'
            : 'promoted by PostgreSQL itself at the target, as asked before it got there (timed within replay)',
    });
  return r.results;
}

export function stageTimings(m: StageMarks): StageTimings {
  return {
    planSeconds: msToSeconds(m.planMs),
    downloadSeconds: m.fetched ? msToSeconds(m.fetched.ms) : null,
    replaySeconds: m.recovered ? msToSeconds(m.recovered.replayMs) : null,
    promoteSeconds: typeof m.recovered?.promoteMs === 'number' ? msToSeconds(m.recovered.promoteMs) : null,
    totalSeconds: msToSeconds(m.totalMs),
  };
}
