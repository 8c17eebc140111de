import { isPgdrError, PgdrError } from '../../errors.js';
import { describeRef, type ObjectRef, ref } from '../api/kube-api.js';
import { type ClusterState, stateLine } from '../cluster-state.js';
import { BARMAN_API, CNPG_API, type K8sObject, MANAGED_BY } from '../manifest-types.js';
import { describeTarget } from '../recovery-target.js';
import { credentialsSecret } from './db-credentials.js';
import { admittedRecoveryCluster, recoveryPreChecks } from './prechecks.js';
import type { RecoveryClusterOptions, RunbookContext, Step } from './runbook.js';
import { POSTGRES_PORT, verifyCluster } from './verify-cluster.js';
import { waitInStep } from './wait-cluster.js';

export interface DrillOptions extends RecoveryClusterOptions {
  /** Default `<namespace>-pgdr-drill`. */
  readonly namespace?: string | undefined;
  readonly name?: string | undefined;
  /** Leave the drill's resources in place for inspection. */
  readonly keep: boolean;
}

export interface DrillContext extends RunbookContext {
  /** What this drill created, newest last: exactly what the clean-up deletes. */
  readonly created: ObjectRef[];
  ready?: ClusterState;
}

const managed = (name: string, namespace: string) => ({
  name,
  namespace,
  labels: { ...MANAGED_BY, 'pgdr.io/drill': 'true' },
});

export function drillPlan(o: DrillOptions): { name: string; namespace: string; steps: Step<DrillContext>[] } {
  const k = o.src.k8s;
  const namespace = o.namespace ?? `${k.namespace}-pgdr-drill`.slice(0, 63).replace(/-+$/, '');
  const { manifest, cluster, name } = admittedRecoveryCluster(
    o.src,
    {
      target: o.target,
      name: o.name ?? `${k.cluster}-drill`,
      namespace,
      archive: false,
      instances: o.instances,
    },
    'drill Cluster',
  );
  const clusterRef = ref(CNPG_API, 'Cluster', namespace, name);
  const scratch = namespace !== k.namespace;
  const secretName = k.credentialsSecret.name;

  const steps: Step<DrillContext>[] = [
    {
      id: 'pre-checks',
      title: 'pre-checks',
      plan: () => [
        {
          text: `read Cluster ${k.cluster}, ObjectStore ${k.objectStore} and Secret ${secretName} in ${k.namespace}; open the bucket with the Secret's credentials; require DONE backups of ${o.config.serverName}; require no Cluster ${name} in ${namespace}`,
        },
      ],
      run: async (ctx) => {
        const r = await recoveryPreChecks(ctx, o, {
          namespace,
          newCluster: name,
          archiveServerName: undefined,
        });
        if (r.existing)
          throw new PgdrError('CONFLICT', `${describeRef(clusterRef)} is left over from an earlier drill`, {
            hint: `delete it (kubectl delete cluster ${name} -n ${namespace}) or give --name`,
          });
        for (const l of r.lines) ctx.progress(l);
        return `${r.lines.length} checks passed`;
      },
    },
    {
      id: 'prepare',
      title: `prepare namespace ${namespace}`,
      plan: () =>
        scratch
          ? [
              { text: `create Namespace ${namespace} unless it exists` },
              { text: `copy Secret ${k.namespace}/${secretName} there (data copied as is, never printed)` },
              { text: `copy ObjectStore ${k.namespace}/${k.objectStore} there (same spec)` },
            ]
          : [
              {
                text: `the drill runs in ${namespace} itself: the ObjectStore and the Secret are already there`,
              },
            ],
      run: async (ctx) => {
        if (!scratch) return { skipped: `same namespace as the source` };
        const made: string[] = [];
        const create = async (obj: K8sObject) => {
          const r = ref(obj.apiVersion, obj.kind, obj.metadata.namespace ?? '', obj.metadata.name);
          if (await ctx.api.get(r, { signal: ctx.signal })) return;
          await ctx.api.create(obj, { signal: ctx.signal });
          ctx.created.push(r);
          made.push(`${obj.kind} ${obj.metadata.name}`);
        };
        await create({
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name: namespace, labels: { ...MANAGED_BY } },
        });
        const secret = await ctx.api.get(ref('v1', 'Secret', k.namespace, secretName), {
          signal: ctx.signal,
        });
        if (!secret) throw new PgdrError('NOT_FOUND', `Secret ${k.namespace}/${secretName} does not exist`);
        await create({
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: managed(secretName, namespace),
          type: secret.type ?? 'Opaque',
          data: secret.data ?? {},
        });
        const os = await ctx.api.get(ref(BARMAN_API, 'ObjectStore', k.namespace, k.objectStore), {
          signal: ctx.signal,
        });
        if (!os)
          throw new PgdrError('NOT_FOUND', `ObjectStore ${k.namespace}/${k.objectStore} does not exist`);
        await create({
          apiVersion: BARMAN_API,
          kind: 'ObjectStore',
          metadata: managed(k.objectStore, namespace),
          spec: os.spec,
        });
        return made.length ? `created ${made.join(', ')}` : 'everything was already there';
      },
    },
    {
      id: 'apply',
      title: `create drill Cluster ${name}`,
      plan: () => [
        { text: `POST Cluster ${namespace}/${name}, recovering to ${describeTarget(o.target)}`, manifest },
      ],
      run: async (ctx) => {
        await ctx.api.create(cluster, { signal: ctx.signal });
        ctx.created.push(clusterRef);
        return `created ${describeRef(clusterRef)}`;
      },
    },
    {
      id: 'wait',
      title: `wait for ${name} to be ready`,
      plan: () => [
        {
          text: `poll every ${o.pollMs / 1000} s until healthy; give up after ${Math.round(o.timeoutMs / 1000)} s`,
        },
      ],
      run: async (ctx) => {
        ctx.ready = await waitInStep(ctx, clusterRef, {
          timeoutMs: o.timeoutMs,
          pollMs: o.pollMs,
        });
        return stateLine(ctx.ready);
      },
    },
    {
      id: 'verify',
      title: 'verify',
      plan: () => [
        {
          text: `check the status, then run pgdr verify checks ${o.connection ? 'through --connection' : `through a port-forward to the primary's ${POSTGRES_PORT} as the user of Secret ${credentialsSecret(cluster).name}${o.database ? `, database ${o.database}` : ''}`}; checks that cannot run fail the drill`,
        },
      ],
      run: async (ctx) => {
        if (!ctx.ready) throw new PgdrError('INTERNAL', 'verify without a ready Cluster');
        try {
          const v = await verifyCluster(ctx.ready, {
            api: ctx.api,
            connection: o.connection,
            database: o.database,
            dataChecks: o.dataChecks,
            amcheck: o.amcheck,
            strict: true,
            progress: ctx.progress,
            signal: ctx.signal,
          });
          return v.summary;
        } catch (e) {
          // A drill whose recovered data was not (or could not be) checked did not pass, whatever the cause.
          if (!isPgdrError(e) || e.code === 'ABORTED') throw e;
          throw new PgdrError('DRILL_FAILED', e.message, { ...(e.hint ? { hint: e.hint } : {}), cause: e });
        }
      },
    },
    {
      id: 'cleanup',
      title: 'delete what the drill created',
      always: true,
      plan: () => [
        {
          text: o.keep
            ? 'not run: --keep leaves the drill Cluster and its namespace for inspection'
            : `delete Cluster ${name}${scratch ? `, the copied ObjectStore and Secret, and Namespace ${namespace} if the drill created it` : ''} (only what this drill created; never the source)`,
        },
      ],
      run: async (ctx) => {
        if (o.keep)
          return { skipped: `--keep: left ${ctx.created.map(describeRef).join(', ') || 'nothing'}` };
        const gone: string[] = [];
        // Newest first; a created Namespace last, which takes anything left inside with it.
        for (const r of [...ctx.created].reverse()) {
          await ctx.api.delete(r, { signal: ctx.signal });
          gone.push(`${r.kind} ${r.name}`);
        }
        ctx.created.length = 0;
        return gone.length ? `deleted ${gone.join(', ')}` : 'nothing to delete';
      },
    },
  ];
  return { name, namespace, steps };
}
