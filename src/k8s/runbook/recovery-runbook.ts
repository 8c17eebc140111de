import { PgdrError } from '../../errors.js';
import { describeRef, ref } from '../api/kube-api.js';
import { type ClusterState, clusterState, condition, stateLine } from '../cluster-state.js';
import { CNPG_API, type K8sObject, type Manifest } from '../manifest-types.js';
import { describeTarget } from '../recovery-target.js';
import { credentialsSecret } from './db-credentials.js';
import { admittedRecoveryCluster, recoveryPreChecks } from './prechecks.js';
import type { RecoveryClusterOptions, RunbookContext, Step } from './runbook.js';
import {
  rememberReplicas,
  replicasConfigMap,
  replicasConfigMapName,
  type ScaleTarget,
  scaleAll,
  scaleBack,
  scaleTargets,
} from './scale.js';
import { POSTGRES_PORT, verifyCluster } from './verify-cluster.js';
import { waitInStep } from './wait-cluster.js';

export interface RecoveryOptions extends RecoveryClusterOptions {
  /** The new Cluster (default kubernetes.recoveredCluster). */
  readonly name?: string | undefined;
  readonly archiveServerName?: string | undefined;
  /** Point the pooler at the new Cluster and scale everything back after a successful verification. */
  readonly switchOver: boolean;
}

export interface RecoveryContext extends RunbookContext {
  /** Filled as the runbook goes: what the failure report and the final summary read. */
  readonly state: {
    targets?: ScaleTarget[];
    counts?: Record<string, string>;
    scaledDown?: boolean;
    ready?: ClusterState;
    /** Set when only the status could be checked: why the database checks did not run. */
    partial?: string;
    switched?: boolean;
  };
}

export interface RecoveryPlan {
  readonly manifest: Manifest;
  readonly name: string;
  readonly namespace: string;
  readonly steps: Step<RecoveryContext>[];
}

export function recoveryPlan(o: RecoveryOptions): RecoveryPlan {
  const k = o.src.k8s;
  const { manifest, cluster, name } = admittedRecoveryCluster(
    o.src,
    { target: o.target, name: o.name, archiveServerName: o.archiveServerName, instances: o.instances },
    'recovery Cluster',
  );
  const namespace = cluster.metadata.namespace ?? k.namespace;
  const clusterRef = ref(CNPG_API, 'Cluster', namespace, name);
  const archive = ((cluster.spec as { plugins?: { parameters?: { serverName?: string } }[] }).plugins ??
    [])[0]?.parameters?.serverName as string | undefined;
  const scaled = [...k.applications, ...(k.pooler ? [k.pooler] : [])];
  const zero = { spec: { replicas: 0 } };
  let existing: K8sObject | undefined;

  const steps: Step<RecoveryContext>[] = [
    {
      id: 'pre-checks',
      title: 'pre-checks',
      plan: () => [
        {
          text: `read Cluster ${k.cluster}, ObjectStore ${k.objectStore} and Secret ${k.credentialsSecret.name} in ${k.namespace}; open the bucket with the Secret's credentials; require DONE backups of serverName ${o.config.serverName}${o.target?.targetTime ? ` and ${o.target.targetTime} inside the recovery window` : ''}; require archive serverName ${archive} to be empty; require no foreign Cluster named ${name}`,
        },
      ],
      run: async (ctx) => {
        const r = await recoveryPreChecks(ctx, o, {
          namespace,
          newCluster: name,
          archiveServerName: archive,
        });
        existing = r.existing;
        // Only what pgdr set: the operator's webhook adds defaults (database, owner) to bootstrap.recovery.
        const bootstrap = (c: K8sObject | undefined) => {
          const rec = (c?.spec as { bootstrap?: { recovery?: Record<string, unknown> } })?.bootstrap
            ?.recovery;
          return JSON.stringify([rec?.source, rec?.recoveryTarget ?? null]);
        };
        if (existing && bootstrap(existing) !== bootstrap(cluster))
          throw new PgdrError(
            'CONFLICT',
            `${describeRef(clusterRef)} exists from an earlier run with another recovery target`,
            {
              hint: `rerun with the same target to go on with it, or delete it (kubectl delete cluster ${name} -n ${namespace}) to start over`,
            },
          );
        for (const l of r.lines) ctx.progress(l);
        return `${r.lines.length} checks passed`;
      },
    },
    {
      id: 'remember-replicas',
      title: 'remember replica counts',
      plan: () => [
        {
          text: `read the replicas of ${scaled.join(', ') || '(no applications configured)'} and store them in ConfigMap ${replicasConfigMapName(k)} (kept by a rerun)`,
          manifest: replicasConfigMap(
            k,
            Object.fromEntries([
              ...k.applications.map((a) => [`Deployment.${a}`, '<replicas now>']),
              ...(k.pooler ? [[`Pooler.${k.pooler}`, '<instances now>']] : []),
            ]),
          ),
        },
      ],
      run: async (ctx) => {
        ctx.state.targets = await scaleTargets(ctx.api, k);
        if (ctx.state.targets.length === 0)
          return { skipped: 'kubernetes.applications and pooler are empty' };
        const r = await rememberReplicas(ctx.api, k, ctx.state.targets, ctx.signal);
        ctx.state.counts = r.counts;
        const list = ctx.state.targets.map((t) => `${t.ref.name}=${r.counts[t.key]}`).join(', ');
        return `${r.reused ? 'kept the counts remembered by an earlier run' : 'remembered'}: ${list}`;
      },
    },
    {
      id: 'scale-down',
      title: 'scale applications and pooler to 0',
      plan: () =>
        scaled.map((s, i) => ({
          text: `PATCH ${i < k.applications.length ? `deployments.apps/${s}/scale` : `poolers.postgresql.cnpg.io/${s}/scale (deployments.apps/${s}/scale when there is no Pooler)`} (merge patch): ${JSON.stringify(zero)}`,
        })),
      run: async (ctx) => {
        const targets = ctx.state.targets ?? [];
        if (targets.length === 0) return { skipped: 'nothing to scale' };
        ctx.state.scaledDown = true;
        const done = await scaleAll(ctx.api, targets, () => 0, ctx.signal);
        return `scaled to 0: ${done.map((d) => d.replace(/=0$/, '')).join(', ')}`;
      },
    },
    {
      id: 'apply',
      title: `create recovery Cluster ${name}`,
      plan: () => [
        { text: `POST Cluster ${namespace}/${name}, recovering to ${describeTarget(o.target)}`, manifest },
      ],
      run: async (ctx) => {
        if (existing)
          return { skipped: `${describeRef(clusterRef)} exists from an earlier run: waiting for it` };
        await ctx.api.create(cluster, { signal: ctx.signal });
        return `created ${describeRef(clusterRef)}`;
      },
    },
    {
      id: 'wait',
      title: `wait for ${name} to be ready`,
      plan: () => [
        {
          text: `poll Cluster ${name} every ${o.pollMs / 1000} s until phase "Cluster in healthy state" with ${String((cluster.spec as { instances?: number }).instances)} ready instance(s); give up after ${Math.round(o.timeoutMs / 1000)} s`,
        },
      ],
      run: async (ctx) => {
        ctx.state.ready = await waitInStep(ctx, clusterRef, {
          timeoutMs: o.timeoutMs,
          pollMs: o.pollMs,
          hopeless: (s) => archiveCheckFailed(s),
        });
        return stateLine(ctx.state.ready);
      },
    },
    {
      id: 'verify',
      title: 'verify',
      plan: () => [
        {
          text: `check the status (ready instances, primary, timeline > 1, Ready condition), then run pgdr verify checks ${o.connection ? `against ${redact(o.connection)}` : `through a port-forward to the primary's ${POSTGRES_PORT} as the user of Secret ${credentialsSecret(cluster).name}${o.database ? `, database ${o.database}` : ''}; when that cannot be opened, warn: the verification is then partial`}`,
        },
      ],
      run: async (ctx) => {
        const s = ctx.state.ready;
        if (!s) throw new PgdrError('INTERNAL', 'verify without a ready Cluster');
        const v = await verifyCluster(s, {
          api: ctx.api,
          connection: o.connection,
          database: o.database,
          dataChecks: o.dataChecks,
          amcheck: o.amcheck,
          strict: false,
          progress: ctx.progress,
          signal: ctx.signal,
        });
        if (v.partial) ctx.state.partial = v.partial;
        return v.summary;
      },
    },
    {
      id: 'switch',
      title: 'switch applications',
      plan: () =>
        o.switchOver
          ? [
              ...(k.pooler
                ? [
                    {
                      text: `PATCH Pooler ${k.pooler} (merge patch) to send connections to ${name}`,
                      manifest: {
                        object: { spec: { cluster: { name } } },
                        patchOf: {
                          apiVersion: CNPG_API,
                          kind: 'Pooler',
                          name: k.pooler,
                          namespace: k.namespace,
                        },
                        notes: [],
                      },
                    },
                  ]
                : []),
              {
                text: `scale ${[...scaled].reverse().join(', ')} back to the counts in ConfigMap ${replicasConfigMapName(k)}, then delete it`,
              },
              { text: `print the new services: ${name}-rw (read-write), ${name}-ro, ${name}-r` },
            ]
          : [
              {
                text: `not run without --switch: applications stay at 0 (pgdr k8s ${o.target ? 'pitr' : 'latest'} --scale-back restores them)`,
              },
            ],
      run: async (ctx) => {
        if (!o.switchOver)
          return {
            skipped: `no --switch: applications stay at 0; point them at ${name}-rw, or run again with --switch`,
          };
        const targets = ctx.state.targets ?? [];
        const pooler = targets.find((t) => t.ref.kind === 'Pooler');
        if (pooler)
          await ctx.api.mergePatch(pooler.ref, { spec: { cluster: { name } } }, { signal: ctx.signal });
        const done = targets.length ? await scaleBack(ctx.api, k, targets, ctx.signal) : [];
        ctx.state.switched = true;
        return `${pooler ? `Pooler ${pooler.ref.name} -> ${name}; ` : ''}scaled back: ${done.join(', ') || 'nothing'}`;
      },
    },
  ];
  return { manifest, name, namespace, steps };
}

/** The operator's empty-archive check failed: waiting cannot fix it. */
export function archiveCheckFailed(s: ClusterState): PgdrError | undefined {
  const texts = [s.phase, s.phaseReason ?? '', ...s.conditions.map((c) => `${c.reason} ${c.message}`)];
  if (!texts.some((t) => /WAL archive check failed|expected empty archive/i.test(t))) return undefined;
  const archiving = condition(s, 'ContinuousArchiving');
  return new PgdrError(
    'ARCHIVE_NOT_EMPTY',
    `Cluster ${s.name}: WAL archive check failed (serverName ${s.archiveServerName ?? s.name} is not empty)${archiving ? `: ${archiving.message}` : ''}`,
    {
      hint: `delete ${s.name} and run again with --archive-server-name ${s.archiveServerName ?? s.name}-2 (a serverName with nothing in the bucket)`,
    },
  );
}

export function redact(connection: string): string {
  return connection.replace(/:\/\/([^:@/]+):[^@/]*@/, '://$1:***@').replace(/password=\S+/g, 'password=***');
}

/** After a failure: what pgdr changed and what it left alone, read back from the API (best effort). */
export async function describeRecoveryState(
  o: RecoveryOptions,
  plan: RecoveryPlan,
  ctx: RecoveryContext,
): Promise<string[]> {
  const k = o.src.k8s;
  const out: string[] = [`Cluster ${k.cluster} (the original) was not modified and is not deleted by pgdr.`];
  const read = async <T>(fn: () => Promise<T>): Promise<T | undefined> => fn().catch(() => undefined);
  if (ctx.state.scaledDown && !ctx.state.switched) {
    const now: string[] = [];
    for (const t of ctx.state.targets ?? []) {
      const n = await read(() => ctx.api.getScale(t.ref));
      now.push(`${t.ref.name}=${n ?? '?'} (was ${ctx.state.counts?.[t.key] ?? '?'})`);
    }
    out.push(`Scaled down: ${now.join(', ')}; the counts are in ConfigMap ${replicasConfigMapName(k)}.`);
    out.push(
      `To bring the applications back on ${k.cluster}: pgdr k8s ${o.target ? 'pitr' : 'latest'} --scale-back; to go on with the recovery: run the same command again.`,
    );
  } else out.push('Applications and pooler: not scaled (unchanged).');
  const c = await read(() => ctx.api.get(ref(CNPG_API, 'Cluster', plan.namespace, plan.name)));
  out.push(
    c
      ? `Cluster ${plan.name}: exists, ${stateLine(clusterState(c))}; pgdr leaves it for inspection (kubectl delete cluster ${plan.name} -n ${plan.namespace} to start over).`
      : `Cluster ${plan.name}: not created.`,
  );
  return out;
}
