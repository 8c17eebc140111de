// A runbook is a list of steps run in order. Each step can describe itself without touching anything (for
// --dry-run: the text and the exact manifests and patches), and is timed when it runs (the RTO report). The
// first failure stops the runbook: later steps are `not run`, and the report says what state things are in.

import type { PgdrConfig } from '../../config/types.js';
import { isPgdrError, PgdrError } from '../../errors.js';
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

export type StepStatus = 'done' | 'skipped' | 'failed' | 'not run';

export interface PlanItem {
  readonly text: string;
  /** The exact object created or merge patch sent, printed as YAML in --dry-run. */
  readonly manifest?: Manifest | undefined;
}

export interface Step<C> {
  readonly id: string;
  readonly title: string;
  /** Runs even after an earlier step failed (clean-up of what the runbook itself created). */
  readonly always?: boolean;
  /** What the step does, without contacting anything. */
  plan(): PlanItem[];
  /** Returns a one-line summary; `{ skipped: reason }` when there was nothing to do. */
  run(ctx: C): Promise<string | { skipped: string }>;
}

export interface StepResult {
  readonly id: string;
  readonly title: string;
  readonly status: StepStatus;
  readonly durationMs: number;
  readonly summary: string;
}

export interface RunbookReport {
  readonly runbook: string;
  readonly ok: boolean;
  readonly steps: readonly StepResult[];
  readonly totalMs: number;
  /** The step that failed and its error, when one did. */
  readonly failure?: { readonly step: string; readonly error: PgdrError } | undefined;
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
  const results: StepResult[] = [];
  const t0 = performance.now();
  let failure: RunbookReport['failure'];
  for (const [i, step] of steps.entries()) {
    if (failure && !step.always) {
      results.push({ id: step.id, title: step.title, status: 'not run', durationMs: 0, summary: '' });
      continue;
    }
    hooks.onStep?.(i, steps.length, step);
    const s0 = performance.now();
    let result: StepResult;
    try {
      const out = await step.run(ctx);
      const durationMs = Math.round(performance.now() - s0);
      result =
        typeof out === 'string'
          ? { id: step.id, title: step.title, status: 'done', durationMs, summary: out }
          : { id: step.id, title: step.title, status: 'skipped', durationMs, summary: out.skipped };
    } catch (e) {
      const error = asPgdrError(e);
      failure ??= { step: step.id, error };
      result = {
        id: step.id,
        title: step.title,
        status: 'failed',
        durationMs: Math.round(performance.now() - s0),
        summary: error.message,
      };
    }
    results.push(result);
    hooks.onStep?.(i, steps.length, step, result);
  }
  const state = failure && hooks.describeState ? await hooks.describeState(ctx).catch(() => []) : [];
  return {
    runbook: name,
    ok: failure === undefined,
    steps: results,
    totalMs: Math.round(performance.now() - t0),
    failure,
    state,
  };
}

function asPgdrError(e: unknown): PgdrError {
  if (isPgdrError(e)) return e;
  return new PgdrError('INTERNAL', (e as Error)?.message ?? String(e), { cause: e });
}
