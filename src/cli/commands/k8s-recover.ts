import { checkServerNameFlag } from '../../config/server-name.js';
import { PgdrError } from '../../errors.js';
import { manifestSource } from '../../k8s/manifests.js';
import { describeTarget, type RecoveryTarget } from '../../k8s/recovery-target.js';
import {
  describeRecoveryState,
  type RecoveryContext,
  type RecoveryOptions,
  recoveryPlan,
} from '../../k8s/runbook/recovery-runbook.js';
import { scaleBack, scaleTargets } from '../../k8s/runbook/scale.js';
import { type FlagSpec, flag, oneOf, type Parsed, parseFlagsOnly, str, TARGET_FLAGS } from '../args.js';
import { configFrom, STORE_USAGE } from '../context.js';
import type { CliContext, Command } from '../main.js';
import { json, line } from '../output.js';
import {
  connect,
  KUBE_USAGE,
  RUNBOOK_FLAGS,
  TARGET_USAGE,
  targetFromFlags,
  waitsFromFlags,
} from './k8s-common.js';
import { runRunbookCommand } from './k8s-runbook-command.js';
import { instancesFlag, SOURCE_FLAGS, SOURCE_USAGE, sourceFor, sourceReads } from './k8s-source.js';
import { VERIFY_FLAGS, VERIFY_USAGE, verifyFromFlags } from './k8s-verify-flags.js';

type Mode = 'pitr' | 'latest';

const BASE_FLAGS: FlagSpec = {
  ...RUNBOOK_FLAGS,
  name: { type: 'string' },
  'archive-server-name': { type: 'string' },
  switch: { type: 'boolean' },
  'scale-back': { type: 'boolean' },
  ...VERIFY_FLAGS,
  ...SOURCE_FLAGS,
};

const COMMON_USAGE = `  --name NAME                the new Cluster (default kubernetes.recoveredCluster, <cluster>-recovered)
  --archive-server-name NAME where the new Cluster archives (default: its name); must be empty in the bucket
  --dry-run                  print every step and the exact manifests and patches; change nothing
  --switch                   after verification: point the Pooler at the new Cluster, scale the applications
                             and the pooler back to their remembered counts, print the new services
  --scale-back               only restore the remembered replica counts (after a failed or abandoned run)
  --timeout DURATION         how long to wait for the Cluster to be ready (default 30m)
  --poll-interval DURATION   how often to read its status (default 5s)
${VERIFY_USAGE}
${SOURCE_USAGE}
  --format table|json

Pre-checks before any change: the Cluster, the ObjectStore and the credentials Secret exist; the bucket is
reachable with the Secret's credentials and holds DONE backups of serverName; the archive serverName is empty.
When the port-forward or the credentials Secret is not available the status checks still run, with a warning,
and the report says the verification was partial.
On failure it stops, names the failed step and the state things are in; it never deletes the original Cluster.
The new Cluster cannot be renamed later (metadata.name is immutable): the applications move to its services.

${KUBE_USAGE}

${STORE_USAGE}`;

export const k8sPitr: Command = {
  name: 'k8s pitr',
  summary: 'Kubernetes: recover the CloudNativePG cluster to a point in time as a new Cluster (runbook)',
  usage: `Usage: pgdr k8s pitr --target-time T [options]

The runbook's point-in-time recovery: plan and pre-checks, scale the applications and the pooler to 0
(remembering their replicas), create the recovery Cluster, wait for it, verify it, and optionally switch.

${TARGET_USAGE}
${COMMON_USAGE}`,
  run: (argv, ctx) => runRecovery('pitr', argv, ctx),
};

export const k8sLatest: Command = {
  name: 'k8s latest',
  summary:
    'Kubernetes: recover the CloudNativePG cluster to the end of the archived WAL as a new Cluster (runbook)',
  usage: `Usage: pgdr k8s latest [options]

The runbook's latest-backup recovery (after complete data loss): as pgdr k8s pitr, without a recovery target.

${COMMON_USAGE}`,
  run: (argv, ctx) => runRecovery('latest', argv, ctx),
};

function targetOf(p: Parsed, mode: Mode): RecoveryTarget | undefined {
  if (mode === 'latest') return undefined;
  const t = targetFromFlags(p);
  const stops = ['targetTime', 'targetLSN', 'targetXID', 'targetName', 'targetImmediate'] as const;
  if (!t || !stops.some((s) => t[s] !== undefined))
    throw new PgdrError(
      'USAGE',
      'k8s pitr: which point in time? give --target-time T (or --target-lsn/-xid/-name)',
      {
        hint: 'to recover everything that was archived use pgdr k8s latest',
      },
    );
  return t;
}

async function runRecovery(mode: Mode, argv: string[], ctx: CliContext): Promise<number> {
  const name = `k8s ${mode}`;
  const p = parseFlagsOnly(argv, mode === 'pitr' ? { ...BASE_FLAGS, ...TARGET_FLAGS } : BASE_FLAGS, name);
  const format = oneOf(p, 'format', ['table', 'json'] as const, 'table', name);
  const config = configFrom(p, ctx);
  const base = manifestSource(config);
  if (flag(p, 'scale-back')) return scaleBackOnly(p, ctx, base.k8s, name);
  const target = targetOf(p, mode);
  const instances = instancesFlag(p, name);
  const src = await sourceFor(p, ctx, base);
  const o: RecoveryOptions = {
    config,
    src,
    instances,
    target,
    name: str(p, 'name'),
    archiveServerName: checkServerNameFlag(str(p, 'archive-server-name'), '--archive-server-name'),
    switchOver: flag(p, 'switch'),
    ...waitsFromFlags(p, name, 30 * 60_000),
    ...verifyFromFlags(p, ctx.cwd, name),
  };
  const plan = recoveryPlan(o);
  const title = `pgdr ${name}: recover serverName ${config.serverName} (ObjectStore ${src.k8s.objectStore}) to ${describeTarget(target)} as Cluster ${plan.namespace}/${plan.name}`;
  return runRunbookCommand<RecoveryContext>(ctx, p, {
    name,
    title,
    steps: plan.steps,
    format,
    reads: sourceReads(p, src),
    context: (base) => ({ ...base, state: {} }),
    describeState: (c) => describeRecoveryState(o, plan, c),
    outcome: (report, { state }) => {
      const verification =
        report.steps.find((st) => st.name === 'verify')?.status !== 'pass'
          ? null
          : state.partial
            ? 'partial'
            : 'full';
      return {
        json: {
          cluster: plan.name,
          namespace: plan.namespace,
          verification,
          ...(state.partial ? { verificationGap: state.partial } : {}),
        },
        text: report.ok ? readyText(state, plan, src.k8s.cluster) : [],
      };
    },
  });
}

/** After a recovery: the new Cluster's services, whether it was switched, and what its name means. */
function readyText(
  state: RecoveryContext['state'],
  plan: { name: string; namespace: string },
  original: string,
) {
  const s = state.ready;
  return [
    '',
    ...(state.partial
      ? [
          `Verification was PARTIAL: the Cluster's status checks passed, the database checks did not run (${state.partial}).`,
        ]
      : []),
    `Cluster ${plan.namespace}/${plan.name} is ready. Its services:`,
    `  ${s?.writeService ?? `${plan.name}-rw`}  read-write (the primary)`,
    `  ${plan.name}-ro  read-only (replicas)`,
    `  ${s?.readService ?? `${plan.name}-r`}   any instance`,
    state.switched
      ? `Switched: the pooler and the applications are back. ${original} is untouched: delete it yourself once sure.`
      : `Not switched: applications are still at 0. Point them at ${plan.name}-rw, or run again with --switch.`,
    `metadata.name is immutable, ${plan.name} cannot be renamed to ${original}: keep the new services, or back ${plan.name} up and recreate ${original} from that backup.`,
  ];
}

async function scaleBackOnly(
  p: Parsed,
  ctx: CliContext,
  k: NonNullable<ReturnType<typeof manifestSource>['k8s']>,
  name: string,
): Promise<number> {
  const asJson = str(p, 'format') === 'json';
  const configMap = `${k.cluster}-pgdr-replicas`;
  if (flag(p, 'dry-run')) {
    if (asJson) json(ctx, { dryRun: true, scaleBack: { configMap } });
    else line(ctx, `pgdr ${name} --scale-back --dry-run: would restore the counts in ConfigMap ${configMap}`);
    return 0;
  }
  const api = await connect(p);
  const done = await scaleBack(api, k, await scaleTargets(api, k), ctx.signal);
  if (asJson) json(ctx, { dryRun: false, scaleBack: { configMap, scaled: done } });
  else line(ctx, `scaled back: ${done.join(', ') || 'nothing'} (ConfigMap removed)`);
  return 0;
}
