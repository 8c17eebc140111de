// Assembles the drill report from the recorded stages: the fail-closed result, the RTO and the RPO.
import type { RestoreResult } from '../engine/restore/restore.js';
import type { StatusResult } from '../engine/status.js';
import type { AmcheckSummary } from '../verify/amcheck-findings.js';
import type { StageRunner } from './drill-types.js';
import {
  type DrillCheck,
  type DrillReport,
  type DrillScenario,
  RTO_STAGES,
  STAGE_NAMES,
} from './drill-types.js';

export interface FinishInput {
  readonly id: string;
  readonly scenario: DrillScenario;
  readonly serverName: string;
  readonly destination: string;
  readonly target: DrillReport['target'];
  readonly runner: StageRunner;
  readonly status: StatusResult | null;
  readonly restored: RestoreResult | null;
  readonly checks: readonly DrillCheck[];
  /** What the verify stage's amcheck covered; null when it did not run. */
  readonly verification?: AmcheckSummary | null;
  /** The backup the plan chose, known even when a later stage failed. */
  readonly backupId: string | null;
  readonly kept: DrillReport['kept'];
  readonly startedAt: Date;
}

export function finishReport(i: FinishInput): DrillReport {
  const stages = i.runner.results;
  // Every stage must be present and passed: a missing or skipped stage fails the drill too.
  const allPassed = i.runner.verdict(STAGE_NAMES) === 'pass';
  const failed = stages.find((s) => s.status === 'fail');
  const rtoParts = RTO_STAGES.map((n) => stages.find((s) => s.name === n));
  const rtoMs = rtoParts.every((s) => s?.status === 'pass')
    ? rtoParts.reduce((n, s) => n + (s?.durationMs ?? 0), 0)
    : null;
  const newest = i.status?.report.current?.window?.to.lastModified ?? null;
  const last = i.restored?.confirmation?.lastReplayedTransaction ?? null;
  // The data lost had the primary died when the newest WAL was archived: only meaningful when recovery went to
  // the end of the archive, not to an earlier chosen time.
  const rpoMs =
    i.target.time === null && newest && last && rtoMs !== null
      ? Math.max(0, newest.getTime() - Date.parse(last))
      : null;
  return {
    id: i.id,
    result: allPassed && !failed ? 'pass' : 'fail',
    scenario: i.scenario,
    serverName: i.serverName,
    destination: i.destination,
    target: i.target,
    backupId: i.restored?.plan.backup.backupId ?? i.backupId,
    stages,
    rtoMs,
    rpoMs,
    lastReplayedTransaction: last,
    newestWalArchivedAt: newest?.toISOString() ?? null,
    checks: i.checks,
    verification: i.verification ?? null,
    failedStage: failed?.name ?? null,
    kept: i.kept,
    startedAt: i.startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
  };
}
