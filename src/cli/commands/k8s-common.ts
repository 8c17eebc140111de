// What the `pgdr k8s` runbook commands share: the kubeconfig flags, connecting (client-node is imported here,
// lazily, never from shared modules), and printing a runbook's plan (--dry-run) and its report (timings, the
// failed step, the state things are in).

import { type KubeApi, ref } from '../../k8s/api/kube-api.js';
import { CNPG_API, type K8sObject, type Manifest } from '../../k8s/manifest-types.js';
import { checkRecoveryTarget, type RecoveryTarget } from '../../k8s/recovery-target.js';
import { renderManifests } from '../../k8s/render.js';
import type { RunbookReport, Step, StepResult } from '../../k8s/runbook/runbook.js';
import { type FlagSpec, FORMAT_FLAG, flag, type Parsed, STORE_FLAGS, str } from '../args.js';
import { durationFlag } from '../duration-flag.js';
import { jsonError } from '../json-error.js';
import type { CliContext } from '../main.js';
import { json, line } from '../output.js';
import { indent, seconds, stepStatusWord, stepsTable } from '../steps-text.js';
import { STORE_USAGE } from '../store-usage.js';

export const KUBE_FLAGS: FlagSpec = {
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
};

/** Every runbook command's flags: the store, the cluster's API, the output, --dry-run and the waits. */
export const RUNBOOK_FLAGS: FlagSpec = {
  ...STORE_FLAGS,
  ...KUBE_FLAGS,
  ...FORMAT_FLAG,
  'dry-run': { type: 'boolean' },
  timeout: { type: 'string' },
  'poll-interval': { type: 'string' },
};

export const KUBE_USAGE = `Kubernetes options:
  --kubeconfig FILE          default: KUBECONFIG, ~/.kube/config, else the in-cluster service account
  --context NAME             a context of the kubeconfig (default: its current-context)`;

/** The end of a runbook command's help: --format, then the Kubernetes and the store options. */
export const RUNBOOK_USAGE_END = `  --format table|json

${KUBE_USAGE}

${STORE_USAGE}`;

export const TARGET_USAGE = `  --target-time T            e.g. 2024-12-15T12:00:00Z (no zone means UTC); or --target-lsn, --target-xid,
                             --target-name, --target-immediate; with optional --backup-id, --target-tli, --exclusive`;

/** bootstrap.recovery.recoveryTarget from TARGET_FLAGS, checked; undefined for the end of the archive. */
export function targetFromFlags(p: Parsed): RecoveryTarget | undefined {
  return checkRecoveryTarget({
    targetTime: str(p, 'target-time'),
    targetLSN: str(p, 'target-lsn'),
    targetXID: str(p, 'target-xid'),
    targetName: str(p, 'target-name'),
    targetImmediate: flag(p, 'target-immediate') || undefined,
    targetTLI: str(p, 'target-tli'),
    backupID: str(p, 'backup-id'),
    exclusive: flag(p, 'exclusive') || undefined,
  });
}

/** --timeout and --poll-interval: how long each of the runbook's waits may last, and how often it reads. */
export function waitsFromFlags(p: Parsed, command: string, defaultTimeoutMs: number) {
  return {
    timeoutMs: durationFlag(p, 'timeout', command) ?? defaultTimeoutMs,
    pollMs: durationFlag(p, 'poll-interval', command) ?? 5_000,
  };
}

export async function connect(p: Parsed): Promise<KubeApi> {
  const { connectKube } = await import('../../k8s/api/client-node-api.js');
  return connectKube({ kubeconfig: str(p, 'kubeconfig'), context: str(p, 'context') });
}

/**
 * With --dry-run, Cluster namespace/name as it is now, for the plan to name what it will change (undefined
 * when it cannot be read: the plan then says so); the run itself reads it again. Without: undefined.
 */
export async function dryRunCluster(
  p: Parsed,
  ctx: CliContext,
  namespace: string,
  name: string,
): Promise<K8sObject | undefined> {
  if (!flag(p, 'dry-run')) return undefined;
  try {
    return await (await connect(p)).get(ref(CNPG_API, 'Cluster', namespace, name), { signal: ctx.signal });
  } catch {
    return undefined;
  }
}

/** --dry-run: every step with what it does and the exact objects and patches, nothing contacted. */
export function printPlan<C>(
  ctx: CliContext,
  title: string,
  steps: readonly Step<C>[],
  asJson = false,
  reads?: string,
): void {
  if (asJson) {
    const plan = steps.map((s) => ({
      id: s.id,
      title: s.title,
      plan: s.plan().map((item) => ({
        text: item.text,
        manifest: item.manifest?.object ?? null,
        patchOf: item.manifest?.patchOf ?? null,
      })),
    }));
    json(ctx, { title, dryRun: true, ...(reads ? { reads } : {}), steps: plan });
    return;
  }
  line(ctx, `${title}`);
  line(
    ctx,
    reads
      ? `Dry run: nothing is changed; the Kubernetes API is only read (${reads}).`
      : 'Dry run: nothing is changed and the Kubernetes API is not contacted.',
  );
  for (const [i, s] of steps.entries()) {
    line(ctx, `\nStep ${i + 1}/${steps.length}: ${s.title} [${s.id}]`);
    for (const item of s.plan()) {
      line(ctx, `  - ${item.text}`);
      if (item.manifest) line(ctx, indent(renderManifest(item.manifest), 4));
    }
  }
}

function renderManifest(m: Manifest): string {
  const head = m.patchOf
    ? `# merge patch of ${m.patchOf.kind} ${m.patchOf.namespace}/${m.patchOf.name} (application/merge-patch+json)\n`
    : '';
  return head + renderManifests([m], 'yaml');
}

/**
 * What every runbook command does before its steps: with --dry-run print the plan and stop (undefined);
 * otherwise connect, and print the title unless the output is JSON.
 */
export async function openRunbook<C>(
  ctx: CliContext,
  p: Parsed,
  title: string,
  steps: readonly Step<C>[],
  format: string,
  reads?: string,
): Promise<{ api: KubeApi; quiet: boolean; printer: ReturnType<typeof stepPrinter> } | undefined> {
  if (flag(p, 'dry-run')) {
    printPlan(ctx, title, steps, format === 'json', reads);
    return undefined;
  }
  const api = await connect(p);
  const quiet = format === 'json';
  if (!quiet) line(ctx, `${title}\nKubernetes API: ${api.where}`);
  return { api, quiet, printer: stepPrinter(ctx) };
}

/** Progress as it happens: one line per step start and end, indented detail lines in between. */
export function stepPrinter(ctx: CliContext) {
  return {
    onStep<C>(i: number, total: number, step: Step<C>, r?: StepResult) {
      if (!r) line(ctx, `[${i + 1}/${total}] ${step.title}`);
      else
        line(ctx, `      ${stepStatusWord(r)} in ${seconds(r.durationMs)}${r.detail ? `: ${r.detail}` : ''}`);
    },
    progress(text: string) {
      line(ctx, `      ${text}`);
    },
  };
}

export function printReport(ctx: CliContext, r: RunbookReport): void {
  line(ctx, '');
  line(ctx, 'Timings (RTO):');
  const whole = r.result === 'pass' ? 'ok' : r.ok ? 'ok (partial)' : 'FAILED';
  line(ctx, indent(stepsTable(r.steps, { total: ['total', whole, r.totalMs] }), 2));
  if (r.failure) {
    line(ctx, '');
    line(ctx, `FAILED at step ${r.failure.step}: ${r.failure.error.message}`);
    if (r.failure.error.hint) line(ctx, `hint: ${r.failure.error.hint}`);
    if (r.state.length) {
      line(ctx, 'State now:');
      for (const s of r.state) line(ctx, `  - ${s}`);
    }
  }
}

export function reportJson(r: RunbookReport): Record<string, unknown> {
  return {
    runbook: r.runbook,
    ok: r.ok,
    totalMs: r.totalMs,
    // `id` and `summary` are the names these fields had before every step list shared one shape.
    steps: r.steps.map((s) => ({ ...s, id: s.name, summary: s.detail })),
    result: r.result,
    // The error object every command prints under --format json, and the step it stopped at.
    failure: r.failure ? { step: r.failure.step, ...jsonError(r.failure.error) } : null,
    state: r.state,
  };
}
