// The drill report: the JSON contract of `pgdr drill --format json`, the history objects in the bucket, the
// webhook body and what `pgdr drill history` reads back. Plain JSON values only (ISO strings, numbers).
import type { StepResult, StepRunner } from '../common/steps.js';
import type { AmcheckSummary } from '../verify/amcheck-findings.js';
import type { CheckStatus } from '../verify/check-result.js';

export type StageName = 'preflight' | 'plan' | 'fetch' | 'replay' | 'promote' | 'verify' | 'cleanup';
export const STAGE_NAMES: readonly StageName[] = [
  'preflight',
  'plan',
  'fetch',
  'replay',
  'promote',
  'verify',
  'cleanup',
];

/** The stages whose sum is the RTO: what an operator waits through before the database serves again. */
export const RTO_STAGES: readonly StageName[] = ['plan', 'fetch', 'replay', 'promote', 'verify'];

/** A drill stage is a step (src/common/steps.ts) named after one of STAGE_NAMES. */
export type DrillStage = StepResult<StageName>;

/** Records a drill's stages fail-closed: once one failed, later ones are skips, so no pass by omission. */
export type StageRunner = StepRunner<StageName>;

export interface DrillCheck {
  readonly name: string;
  readonly status: CheckStatus;
  readonly finding: string;
  readonly hint: string;
  readonly durationMs: number;
  readonly value?: string | number | boolean | null;
}

/** `kubernetes`: `pgdr k8s drill`, a recovery Cluster made by CloudNativePG in a scratch namespace. */
export type DrillScenario = 'restore' | 'replica' | 'kubernetes';

export interface DrillReport {
  readonly id: string;
  readonly result: 'pass' | 'fail';
  readonly scenario: DrillScenario;
  readonly serverName: string;
  readonly destination: string;
  /** What was asked ('latest', 'random', or a time) and what it resolved to. */
  readonly target: {
    readonly requested: string;
    readonly time: string | null;
    readonly reached: boolean | null;
  };
  readonly backupId: string | null;
  readonly stages: readonly DrillStage[];
  /** Sum of RTO_STAGES that ran; null when the restore did not get through them all. */
  readonly rtoMs: number | null;
  /** Newest archived WAL time minus newest replayed transaction time; null when not measurable. */
  readonly rpoMs: number | null;
  readonly lastReplayedTransaction: string | null;
  readonly newestWalArchivedAt: string | null;
  readonly checks: readonly DrillCheck[];
  /**
   * What the verify stage's amcheck covered in every database: relations (tables, TOAST, materialized views),
   * btree indexes and pages checked, failures, and `partial` (what was left unchecked) when incomplete. Null
   * when verify did not get that far; absent in reports written before it existed.
   */
  readonly verification?: AmcheckSummary | null;
  /** The first failing stage, for one-line summaries. */
  readonly failedStage: StageName | null;
  /** --keep: the restored folder, and the server left running in it (how to reach and stop it). */
  readonly kept: {
    readonly dir: string;
    readonly connectionString: string | null;
    readonly stopCommand: string | null;
  } | null;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly notification?: { readonly url: string; readonly ok: boolean; readonly detail: string };
  readonly historyKey?: string | null;
  /** Why the history object could not be written (the drill's result stands). */
  readonly historyProblem?: string;
  /** pgdr check's findings before the restore. */
  readonly preflightChecks?: readonly DrillCheck[];
}
