// A runbook is a list of steps run in order. Each step can describe itself without touching anything (for
// --dry-run: the text and the exact manifests and patches), and is timed when it runs (the RTO report). The
// first failure stops the runbook: later steps are skipped (`not run`), and the report says what state things
// are in. The runner and the result shape are every step list's (src/common/steps.ts).

import {
  type Step as BaseStep,
  NOT_RUN,
  runSteps,
  type StepResult,
  type StepsReport,
} from '../../common/steps.js';
import type { PgdrConfig } from '../../config/types.js';
import type { DataCheck } from '../../verify/data-check.js';
import type { KubeApi } from '../api/kube-api.js';
import type { Manifest, ManifestSource } from '../manifest-types.js';
import type { RecoveryTarget } from '../recovery-target.js';

/** What a runbook that brings up a recovery Cluster (pitr, latest, drill) is told. */
export interface RecoveryClusterOptions {
  readonly config: PgdrConfig;
  readonly src: ManifestSource;
  readonly target?: RecoveryTarget | undefined;
  readonly timeoutMs: number;
  readonly pollMs: number;
  readonly connection?: string | undefined;
  /** Through the port-forward: the database the checks run in (default: the credentials Secret's dbname). */
  readonly database?: string | undefined;
  readonly dataChecks?: readonly DataCheck[] | undefined;
  readonly amcheck?: boolean | undefined;
  /** spec.instances of the new Cluster; default the source Cluster's (kubernetes.instances without one). */
  readonly instances?: number | undefined;
}

/** What every runbook's steps run with. */
export interface RunbookContext {
  readonly api: KubeApi;
  readonly signal?: AbortSignal | undefined;
  readonly progress: (line: string) => void;
}

interface PlanItem {
  readonly text: string;
  /** The exact object created or merge patch sent, printed as YAML in --dry-run. */
  readonly manifest?: Manifest | undefined;
}

/** A runbook step: a step (src/common/steps.ts) that can also describe itself without touching anything. */
export interface Step<C> extends BaseStep<C> {
  /** What the step does, without contacting anything. */
  plan(): PlanItem[];
}

export type { StepResult };

export interface RunbookReport extends StepsReport {
  readonly runbook: string;
  /** After a failure: what was changed and what is left as it was, read back from the cluster. */
  readonly state: readonly string[];
}

export interface RunHooks<C> {
  /** Called as each step starts and ends (the progress display). */
  onStep?(index: number, total: number, step: Step<C>, result?: StepResult): void;
  /** Describes the state of things after a failure; best effort, never throws. */
  describeState?(ctx: C): Promise<string[]>;
}

export async function runRunbook<C>(
  name: string,
  steps: readonly Step<C>[],
  ctx: C,
  hooks: RunHooks<C> = {},
): Promise<RunbookReport> {
  let at = 0;
  const report = await runSteps(steps, ctx, {
    onStep: (id, result) => {
      if (!result) at = steps.findIndex((s, i) => i >= at && s.id === id);
      // Steps skipped after a failure never started: they are listed in the report only.
      else if (result.detail === NOT_RUN) return;
      const step = steps[at];
      if (step) hooks.onStep?.(at, steps.length, step, result);
    },
  });
  const state = report.failure && hooks.describeState ? await hooks.describeState(ctx).catch(() => []) : [];
  return { runbook: name, ...report, state };
}
