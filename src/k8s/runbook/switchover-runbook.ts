// `pgdr k8s switchover --to CLUSTER`: a planned switch of the distributed topology (both Clusters carry
// spec.replica.primary/self and each other's externalClusters). The current primary is demoted by naming the
// other one in its replica.primary; once it has archived its last WAL it publishes status.demotionToken; the
// other is promoted with that token, which makes it replay up to exactly that point first: no data loss.
import { PgdrError } from '../../errors.js';
import { describeRef, ref } from '../api/kube-api.js';
import { type ClusterState, clusterState, isReady, stateLine } from '../cluster-state.js';
import { CNPG_API, type Manifest, type ManifestSource } from '../manifest-types.js';
import { promotionPatch } from '../promotion-patch.js';
import type { RunbookContext, Step } from './runbook.js';
import { waitInStep } from './wait-cluster.js';

export interface SwitchoverOptions {
  readonly src: ManifestSource;
  /** The Cluster to promote. */
  readonly to: string;
  readonly namespace: string;
  readonly timeoutMs: number;
  readonly pollMs: number;
  /** The current primary as read for --dry-run (the run reads it again). */
  readonly from?: string | undefined;
}

export interface SwitchoverContext extends RunbookContext {
  readonly confirm: (summary: string[]) => Promise<void>;
  readonly state: {
    from?: string;
    before?: ClusterState;
    token?: string;
    after?: ClusterState;
    demoted?: boolean;
    /** An earlier run demoted it already (it names the target as primary): go on from the token. */
    resumed?: boolean;
    promoted?: boolean;
  };
}

export function switchoverPlan(o: SwitchoverOptions): Step<SwitchoverContext>[] {
  const { to, namespace } = o;
  const toRef = ref(CNPG_API, 'Cluster', namespace, to);
  const demotion = (from: string): Manifest => ({
    object: { spec: { replica: { primary: to } } },
    patchOf: { apiVersion: CNPG_API, kind: 'Cluster', name: from, namespace },
    notes: [`Demotes ${from}: it follows ${to} from now on and publishes status.demotionToken.`],
  });
  const promotion = (token: string) =>
    promotionPatch(o.src, { cluster: to, namespace, promotionToken: token });
  const fromOf = (ctx: SwitchoverContext) => {
    if (!ctx.state.from) throw new PgdrError('INTERNAL', 'switchover step without pre-checks');
    return ctx.state.from;
  };
  return [
    {
      id: 'pre-checks',
      title: 'pre-checks',
      plan: () => [
        {
          text: `read Cluster ${to}: it must exist in the distributed topology (spec.replica.primary) and follow another Cluster, the current primary`,
        },
        {
          text: 'read the current primary: it must be ready, call itself primary, and list the target in its externalClusters (to follow it after the demotion)',
        },
      ],
      run: async (ctx) => {
        const c = await ctx.api.get(toRef, { signal: ctx.signal });
        if (!c) throw new PgdrError('NOT_FOUND', `${describeRef(toRef)} does not exist`);
        const s = clusterState(c);
        if (!s.topologyPrimary)
          throw new PgdrError(
            'USAGE',
            `${describeRef(toRef)} is not in a distributed topology (no spec.replica.primary)`,
            {
              hint: 'a standalone replica (replica.enabled) is promoted with pgdr k8s promote; a switchover needs replica.primary/self on both Clusters (pgdr k8s manifests replica-cluster --distributed)',
            },
          );
        if (s.topologyPrimary === to)
          throw new PgdrError('REFUSED', `${to} is already the primary of the topology: nothing to switch`, {
            hint: `pgdr k8s status ${to} shows it: ${stateLine(s)}`,
          });
        const from = s.topologyPrimary;
        const fromRef = ref(CNPG_API, 'Cluster', namespace, from);
        const f = await ctx.api.get(fromRef, { signal: ctx.signal });
        if (!f)
          throw new PgdrError(
            'NOT_FOUND',
            `${describeRef(fromRef)}, the primary ${to} follows, does not exist`,
            {
              hint: 'with the primary gone there is nothing to demote: pgdr k8s promote --cluster NAME (failover)',
            },
          );
        const fs = clusterState(f);
        ctx.state.from = from;
        ctx.state.before = s;
        if (fs.topologyPrimary === to) {
          ctx.state.resumed = true;
          ctx.progress(
            `${from}: already demoted by an earlier run (${stateLine(fs)}): going on from its token`,
          );
          return `${from} -> ${to} (resumed)`;
        }
        if (fs.topologyPrimary !== from)
          throw new PgdrError(
            'REFUSED',
            `${from} does not call itself primary (its replica.primary is ${fs.topologyPrimary ?? 'unset'})`,
            {
              hint: 'both Clusters must name the same primary in spec.replica.primary before a switchover',
            },
          );
        const external = ((f.spec as { externalClusters?: { name?: string }[] }).externalClusters ?? []).map(
          (e) => e.name,
        );
        if (!external.includes(to))
          throw new PgdrError(
            'REFUSED',
            `${from} has no externalClusters entry named ${to}: once demoted it could not follow it`,
            {
              hint: `add ${to} to ${from}'s externalClusters (pgdr k8s manifests replica-cluster --distributed shows the entry)`,
            },
          );
        if (!isReady(fs))
          throw new PgdrError(
            'REFUSED',
            `${from} is not ready (${stateLine(fs)}): a demotion needs a running primary`,
            {
              hint: 'a failed primary is not switched over but failed over: pgdr k8s promote --cluster NAME',
            },
          );
        ctx.progress(`${from}: ${stateLine(fs)} (primary)`);
        ctx.progress(`${to}: ${stateLine(s)} (replica)`);
        return `${from} -> ${to}`;
      },
    },
    {
      id: 'confirm',
      title: 'confirm',
      plan: () => [{ text: `ask to type ${to} on a terminal, unless --yes; refuse without a terminal` }],
      run: async (ctx) => {
        const from = fromOf(ctx);
        await ctx.confirm([
          `about to switch the primary from Cluster ${namespace}/${from} to ${namespace}/${to}`,
          `  ${from} is demoted (stops taking writes) and follows ${to}; ${to} promotes once it has replayed ${from}'s last WAL`,
          `  the applications must move to ${to}-rw`,
        ]);
        return 'confirmed';
      },
    },
    {
      id: 'demote',
      title: 'demote the current primary',
      plan: () => [
        {
          text: `PATCH Cluster ${namespace}/${o.from ?? '<the current primary>'} (merge patch): spec.replica.primary = ${to}`,
          manifest: demotion(o.from ?? 'CURRENT-PRIMARY'),
        },
      ],
      run: async (ctx) => {
        const from = fromOf(ctx);
        ctx.state.demoted = true;
        if (ctx.state.resumed) return { skipped: `${from} already names ${to} as primary` };
        const m = demotion(from);
        await ctx.api.mergePatch(
          ref(CNPG_API, 'Cluster', namespace, from),
          m.object as Record<string, unknown>,
          {
            signal: ctx.signal,
          },
        );
        ctx.state.demoted = true;
        return `patched Cluster ${from}: ${JSON.stringify(m.object)}`;
      },
    },
    {
      id: 'demotion-token',
      title: 'wait for the demotion token',
      plan: () => [
        {
          text: `poll the demoted Cluster every ${o.pollMs / 1000} s until status.demotionToken is set (its last WAL is archived); give up after ${Math.round(o.timeoutMs / 1000)} s`,
        },
      ],
      run: async (ctx) => {
        const from = fromOf(ctx);
        const s = await waitInStep(ctx, ref(CNPG_API, 'Cluster', namespace, from), {
          timeoutMs: o.timeoutMs,
          pollMs: o.pollMs,
          until: { test: (x) => x.demotionToken !== undefined, what: 'demoted with a status.demotionToken' },
        });
        ctx.state.token = s.demotionToken;
        return `${from} demoted; token read (${s.demotionToken?.length ?? 0} characters)`;
      },
    },
    {
      id: 'promote',
      title: `promote ${to} with the token`,
      plan: () => [
        {
          text: `PATCH Cluster ${namespace}/${to} (merge patch); DEMOTION_TOKEN stands for the demoted Cluster's status.demotionToken, read in the step before`,
          manifest: promotion('DEMOTION_TOKEN'),
        },
      ],
      run: async (ctx) => {
        const token = ctx.state.token;
        if (!token) throw new PgdrError('INTERNAL', 'promote without a demotion token');
        const m = promotion(token);
        await ctx.api.mergePatch(toRef, m.object as Record<string, unknown>, { signal: ctx.signal });
        ctx.state.promoted = true;
        return `patched Cluster ${to}: replica.primary=${to} with the promotion token`;
      },
    },
    {
      id: 'wait',
      title: `wait for ${to} to run as the primary on a new timeline`,
      plan: () => [
        {
          text: `poll every ${o.pollMs / 1000} s until ${to} is healthy on a timeline after its current one; give up after ${Math.round(o.timeoutMs / 1000)} s`,
        },
      ],
      run: async (ctx) => {
        const before = ctx.state.before?.timeline ?? 0;
        ctx.state.after = await waitInStep(ctx, toRef, {
          timeoutMs: o.timeoutMs,
          pollMs: o.pollMs,
          until: {
            test: (s) => isReady(s) && !s.replica && (s.timeline ?? 0) > before,
            what: `a ready primary on a timeline after ${before}`,
          },
        });
        return stateLine(ctx.state.after);
      },
    },
  ];
}
