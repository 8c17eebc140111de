// The report of `pgdr k8s drill` in the shape every drill writes (src/drill/drill-types.ts), so the bucket's
// drill history, `pgdr drill history`, the dashboard and the webhook treat it like a host drill. The runbook's
// steps map onto the drill stages: the operator's recovery (create the Cluster, wait for it) is fetch and
// replay, and its promotion happens inside the wait.
import { randomBytes } from 'node:crypto';
import type { PgdrConfig } from '../../config/types.js';
import { appendHistory } from '../../drill/drill-history.js';
import type { DrillReport, DrillStage, StageName } from '../../drill/drill-types.js';
import { publishDrillReport } from '../../drill/publish-report.js';
import type { KubeApi } from '../api/kube-api.js';
import type { ManifestSource } from '../manifest-types.js';
import { openClusterBucket, readObjectStore } from './cluster-bucket.js';
import type { RunbookReport } from './runbook.js';

const STAGE_OF: Readonly<Record<string, StageName>> = {
  'pre-checks': 'preflight',
  prepare: 'plan',
  apply: 'fetch',
  wait: 'replay',
  verify: 'verify',
  cleanup: 'cleanup',
};

export interface K8sDrillReportInput {
  readonly report: RunbookReport;
  readonly serverName: string;
  readonly destination: string;
  readonly target: string;
  readonly startedAt: Date;
}

export function k8sDrillReport(i: K8sDrillReportInput): DrillReport {
  const stages: DrillStage[] = [];
  for (const step of i.report.steps) {
    const name = STAGE_OF[step.name];
    if (name === undefined) continue;
    const status = step.status;
    stages.push({ name, status, durationMs: step.durationMs, detail: step.detail });
    if (name === 'replay')
      stages.push({
        name: 'promote',
        status,
        durationMs: 0,
        detail: 'promoted by CloudNativePG at the end of recovery (timed within replay)',
      });
  }
  const failed = stages.find((s) => s.status === 'fail');
  const every = ['preflight', 'plan', 'fetch', 'replay', 'promote', 'verify', 'cleanup'] as const;
  // Preparing is skipped when the drill runs in the source's own namespace: nothing to copy there.
  const passed = (s: DrillStage) => s.status === 'pass' || (s.name === 'plan' && s.status === 'skip');
  const pass = i.report.ok && every.every((n) => stages.some((s) => s.name === n && passed(s)));
  const rto = stages.filter((s) => ['fetch', 'replay', 'verify'].includes(s.name));
  return {
    id: randomBytes(4).toString('hex'),
    result: pass ? 'pass' : 'fail',
    scenario: 'kubernetes',
    serverName: i.serverName,
    destination: i.destination,
    target: { requested: i.target, time: null, reached: pass ? true : null },
    backupId: null,
    stages,
    rtoMs: pass ? rto.reduce((n, s) => n + s.durationMs, 0) : null,
    rpoMs: null,
    lastReplayedTransaction: null,
    newestWalArchivedAt: null,
    checks: [],
    verification: null,
    failedStage: failed?.name ?? (pass ? null : 'verify'),
    kept: null,
    startedAt: i.startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
  };
}

/**
 * Appends the report to the bucket's drill history (opened as the cluster sees it: the ObjectStore and its
 * Secret) and posts it to the webhook. A failure to record is reported in the report, never changes its result.
 */
export async function publishK8sDrill(o: {
  readonly api: KubeApi;
  readonly config: PgdrConfig;
  readonly src: ManifestSource;
  readonly report: DrillReport;
  readonly notifyUrl?: string | undefined;
  readonly signal?: AbortSignal | undefined;
}): Promise<DrillReport> {
  return publishDrillReport(o.report, {
    append: async (report) => {
      const os = await readObjectStore(o.api, {
        namespace: o.src.k8s.namespace,
        objectStore: o.src.k8s.objectStore,
      });
      const bucket = await openClusterBucket(o.api, o.config, os);
      try {
        return await appendHistory(bucket.store, report, o.signal);
      } finally {
        await bucket.store.close();
      }
    },
    notifyUrl: o.notifyUrl,
    signal: o.signal,
  });
}
