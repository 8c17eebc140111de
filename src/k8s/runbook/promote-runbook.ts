// `pgdr k8s promote`: the runbook's scenario 1 (primary cluster failure). The replica Cluster is promoted with the
// promotion patch (standalone `replica.enabled: false`, or the distributed form with the demoted primary's
// token), after pre-checks and a confirmation, then watched until it runs as a primary on a new timeline.
import { PgdrError } from '../../errors.js';
import { describeRef, ref } from '../api/kube-api.js';
import { type ClusterState, clusterState, isReady, stateLine } from '../cluster-state.js';
import { CNPG_API, type ManifestSource } from '../manifest-types.js';
import { promotionPatch } from '../promotion-patch.js';
import type { RunbookContext, Step } from './runbook.js';
import { waitInStep } from './wait-cluster.js';

export interface PromoteOptions {
  readonly src: ManifestSource;
  /** Default kubernetes.replicaCluster. */
  readonly cluster?: string | undefined;
  readonly promotionToken?: string | undefined;
  readonly timeoutMs: number;
  readonly pollMs: number;
}

export interface PromoteContext extends RunbookContext {
  /** Asks (or refuses): throws CONFIRMATION_REQUIRED when not confirmed. */
  readonly confirm: (summary: string[]) => Promise<void>;
  readonly state: { before?: ClusterState; after?: ClusterState; patched?: boolean };
}

export function promotePlan(o: PromoteOptions): {
  name: string;
  namespace: string;
  steps: Step<PromoteContext>[];
} {
  const k = o.src.k8s;
  const patch = promotionPatch(o.src, { cluster: o.cluster, promotionToken: o.promotionToken });
  const target = patch.patchOf;
  if (!target) throw new PgdrError('INTERNAL', 'promotion patch without a target');
  const r = ref(CNPG_API, 'Cluster', target.namespace, target.name);
  const steps: Step<PromoteContext>[] = [
    {
      id: 'pre-checks',
      title: 'pre-checks',
      plan: () => [
        { text: `read Cluster ${target.name}: it must exist and still follow ${k.cluster} (a replica)` },
        { text: `read Cluster ${k.cluster}: promoting while it still runs as a primary means two primaries` },
      ],
      run: async (ctx) => {
        const c = await ctx.api.get(r, { signal: ctx.signal });
        if (!c)
          throw new PgdrError('NOT_FOUND', `${describeRef(r)} does not exist`, {
            hint: 'create the replica first: pgdr k8s manifests replica-cluster | kubectl apply -f -',
          });
        const s = clusterState(c);
        ctx.state.before = s;
        if (!s.replica)
          throw new PgdrError(
            'NOT_STANDBY',
            `${describeRef(r)} is not a replica (already promoted?): nothing to promote`,
            {
              hint: `pgdr k8s status shows its state: ${stateLine(s)}`,
            },
          );
        ctx.progress(`${target.name}: ${stateLine(s)}`);
        const src = await ctx.api.get(ref(CNPG_API, 'Cluster', k.namespace, k.cluster), {
          signal: ctx.signal,
        });
        const srcState = src ? clusterState(src) : undefined;
        ctx.progress(
          srcState
            ? `${k.cluster}: ${stateLine(srcState)}${isReady(srcState) ? ' — STILL HEALTHY: stop its applications first, or two primaries will take writes' : ''}`
            : `${k.cluster}: not present`,
        );
        return `${target.name} is a replica${s.timeline !== undefined ? ` on timeline ${s.timeline}` : ''}`;
      },
    },
    {
      id: 'confirm',
      title: 'confirm',
      plan: () => [
        { text: `ask to type ${target.name} on a terminal, unless --yes; refuse without a terminal` },
      ],
      run: async (ctx) => {
        const s = ctx.state.before;
        await ctx.confirm([
          `about to promote Cluster ${target.namespace}/${target.name} (irreversible)`,
          `  now: ${s ? stateLine(s) : '?'}`,
          `  it stops following ${k.cluster}: WAL ${k.cluster} archived after the last one it replayed is not applied`,
          ...patch.notes.map((n) => `  ${n}`),
        ]);
        return 'confirmed';
      },
    },
    {
      id: 'patch',
      title: `promote ${target.name}`,
      plan: () => [
        { text: `PATCH Cluster ${target.namespace}/${target.name} (merge patch)`, manifest: patch },
      ],
      run: async (ctx) => {
        await ctx.api.mergePatch(r, patch.object as Record<string, unknown>, { signal: ctx.signal });
        ctx.state.patched = true;
        return `patched ${describeRef(r)}: ${JSON.stringify(patch.object)}`;
      },
    },
    {
      id: 'wait',
      title: `wait for ${target.name} to run as a primary`,
      plan: () => [
        {
          text: `poll every ${o.pollMs / 1000} s until healthy on a timeline after the current one; give up after ${Math.round(o.timeoutMs / 1000)} s`,
        },
      ],
      run: async (ctx) => {
        const before = ctx.state.before?.timeline ?? 0;
        const after = await waitInStep(ctx, r, {
          timeoutMs: o.timeoutMs,
          pollMs: o.pollMs,
          until: {
            test: (s) => isReady(s) && (s.timeline ?? 0) > before,
            what: `a ready primary on a timeline after ${before}`,
          },
        });
        ctx.state.after = after;
        return stateLine(after);
      },
    },
  ];
  return { name: target.name, namespace: target.namespace, steps };
}
