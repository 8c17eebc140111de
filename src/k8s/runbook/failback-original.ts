// `pgdr k8s failback --option original`: a Cluster under the original name again. metadata.name is immutable,
// so the original Cluster is deleted and recreated from a backup of the recovered one (its spec cloned from the
// recovered Cluster, as the recovery Cluster was from the source), archiving under a new serverName
// `<name>-v<N>`: the original serverName holds the old primary's WAL, and the operator refuses a non-empty
// archive. The applications are down from the backup until the new Cluster is verified, so nothing written
// to the recovered Cluster is lost. The recovered Cluster is never deleted: the command to do so is printed.
import { PgdrError } from '../../errors.js';
import type { ObjectStore } from '../../storage/object-store.js';
import { describeRef, ref } from '../api/kube-api.js';
import { clusterAdmissionProblems } from '../cluster-admission.js';
import { clusterState, stateLine } from '../cluster-state.js';
import { CNPG_API, type K8sObject, type Manifest } from '../manifest-types.js';
import { recoveryClusterManifest } from '../recovery-cluster.js';
import { openClusterBucket, readObjectStore } from './cluster-bucket.js';
import {
  backupStep,
  checkRecovered,
  type FailbackContext,
  type FailbackOptions,
  poolerStep,
  waitLine,
} from './failback-runbook.js';
import { archiveCheckFailed } from './recovery-runbook.js';
import type { Step } from './runbook.js';
import { rememberReplicas, replicasConfigMapName, scaleAll, scaleBack, scaleTargets } from './scale.js';
import { verifyCluster } from './verify-cluster.js';
import { sleep, waitInStep } from './wait-cluster.js';

/** Marks the recreated Cluster: a rerun recognises it and goes on with it instead of deleting it. */
const FAILBACK_FROM = 'pgdr.io/failback-from';

const BACKUP_ID_PLACEHOLDER = 'BACKUPIDTXXXXXX';

/** The Cluster under the original name, recovering from `backupId` of the recovered Cluster's archive. */
function recreatedCluster(
  o: FailbackOptions,
  recovered: K8sObject | undefined,
  recoveredServerName: string,
  serverName: string,
  backupId: string,
): Manifest {
  const k = o.src.k8s;
  const src = {
    ...o.src,
    config: { ...o.src.config, serverName: recoveredServerName },
    ...(recovered
      ? { from: { object: recovered, origin: `Cluster ${k.namespace}/${o.recovered} (live)` } }
      : {}),
  };
  const m = recoveryClusterManifest(src, {
    name: k.cluster,
    archiveServerName: serverName,
    target: { backupID: backupId },
  });
  const object = m.object as K8sObject;
  return {
    object: {
      ...object,
      metadata: { ...object.metadata, annotations: { [FAILBACK_FROM]: o.recovered } },
    },
    notes: [
      `Recreates ${k.cluster} from backup ${backupId} of ${o.recovered} (serverName ${recoveredServerName}) and the WAL after it.`,
      `Archives under the new serverName ${serverName}: serverName ${o.src.config.serverName} holds the old primary's WAL.`,
      ...m.notes.filter((n) => !/metadata\.name is immutable|^To switch|^or back|^Archives under/.test(n)),
    ],
  };
}

/** `<name>-v<N>`, N one past the highest version the bucket has (from 2): never a serverName holding WAL. */
async function nextServerName(store: ObjectStore, base: string, signal?: AbortSignal): Promise<string> {
  const top = (await store.list('', { delimiter: '/', signal })).prefixes.map((p) => p.slice(0, -1));
  const re = new RegExp(`^${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-v([0-9]+)$`);
  const taken = top.map((p) => re.exec(p)?.[1]).filter((n): n is string => n !== undefined);
  const n = Math.max(1, ...taken.map(Number)) + 1;
  const name = `${base}-v${n}`;
  const below = await store.list(`${name}/`, { delimiter: '/', signal });
  if (below.objects.length || below.prefixes.length)
    throw new PgdrError('ARCHIVE_NOT_EMPTY', `serverName ${name} already holds data in ${store.displayUrl}`);
  return name;
}

export function originalPlan(o: FailbackOptions): Step<FailbackContext>[] {
  const k = o.src.k8s;
  const original = k.cluster;
  const ns = k.namespace;
  const origRef = ref(CNPG_API, 'Cluster', ns, original);
  const scaled = [...k.applications, ...(k.pooler ? [k.pooler] : [])];
  const recoveredServer = o.recoveredObject
    ? (clusterState(o.recoveredObject).archiveServerName ?? o.recovered)
    : o.recovered;
  const planned = (): Manifest | undefined => {
    try {
      return recreatedCluster(o, o.recoveredObject, recoveredServer, `${original}-vN`, BACKUP_ID_PLACEHOLDER);
    } catch {
      return undefined;
    }
  };
  const need = <T>(v: T | undefined, what: string): T => {
    if (v === undefined) throw new PgdrError('INTERNAL', `failback step without ${what}`);
    return v;
  };
  return [
    {
      id: 'pre-checks',
      title: 'pre-checks',
      plan: () => [
        { text: `read Cluster ${ns}/${o.recovered}: it must be a ready primary that archives WAL` },
        {
          text: `read Cluster ${ns}/${original}: absent, to be deleted, or recreated by an earlier run (annotation ${FAILBACK_FROM}: ${o.recovered}) and gone on with`,
        },
        {
          text: `open the bucket of ObjectStore ${k.objectStore} with its Secret; pick serverName ${original}-v<N>, N one past the highest the bucket holds, and require it empty`,
        },
      ],
      run: async (ctx) => {
        await checkRecovered(ctx, o);
        const c = await ctx.api.get(origRef, { signal: ctx.signal });
        const from = c?.metadata.annotations?.[FAILBACK_FROM];
        if (c && from !== undefined && from !== o.recovered)
          throw new PgdrError(
            'CONFLICT',
            `${describeRef(origRef)} was recreated from ${from}, not ${o.recovered}`,
            {
              hint: `fail back with --recovered ${from}, or delete ${original} yourself to start over`,
            },
          );
        if (c && from === o.recovered) {
          ctx.state.recreated = true;
          ctx.state.serverName = clusterState(c).archiveServerName;
          ctx.progress(
            `${original}: recreated by an earlier run (${stateLine(clusterState(c))}): going on with it`,
          );
        } else
          ctx.progress(
            c ? `${original}: ${stateLine(clusterState(c))} (to be deleted)` : `${original}: absent`,
          );
        if (!ctx.state.serverName) {
          const os = await readObjectStore(ctx.api, { namespace: ns, objectStore: k.objectStore });
          const bucket = await openClusterBucket(ctx.api, o.config, os);
          try {
            ctx.state.serverName = await nextServerName(bucket.store, original, ctx.signal);
          } finally {
            await bucket.store.close();
          }
          ctx.progress(
            `archive serverName ${ctx.state.serverName}: empty (the operator's WAL archive check will pass)`,
          );
        }
        return `${o.recovered} -> ${original} (archiving under ${ctx.state.serverName})`;
      },
    },
    {
      id: 'confirm',
      title: 'confirm',
      plan: () => [
        { text: `ask to type ${original} on a terminal, unless --yes; refuse without a terminal` },
      ],
      run: async (ctx) => {
        await ctx.confirm([
          `about to DELETE Cluster ${ns}/${original} and recreate it from a backup of Cluster ${ns}/${o.recovered}`,
          `  the applications are scaled to 0 from the backup until ${original} is verified; ${o.recovered} is not deleted`,
          `  ${original} archives under serverName ${ctx.state.serverName}; its old archive is left as it is`,
        ]);
        return 'confirmed';
      },
    },
    {
      id: 'scale-down',
      title: 'remember replica counts and scale applications to 0',
      plan: () => [
        {
          text: `store the replicas of ${scaled.join(', ') || '(no applications configured)'} in ConfigMap ${replicasConfigMapName(k)} (kept by a rerun), then scale them to 0: nothing writes to ${o.recovered} after its backup`,
        },
      ],
      run: async (ctx) => {
        const targets = await scaleTargets(ctx.api, k);
        ctx.state.targets = targets;
        if (targets.length === 0) return { skipped: 'kubernetes.applications and pooler are empty' };
        const r = await rememberReplicas(ctx.api, k, targets, ctx.signal);
        ctx.state.counts = r.counts;
        ctx.state.scaledDown = true;
        const done = await scaleAll(ctx.api, targets, () => 0, ctx.signal);
        return `${r.reused ? 'counts kept from an earlier run; ' : ''}scaled to 0: ${done.map((d) => d.replace(/=0$/, '')).join(', ')}`;
      },
    },
    {
      ...backupStep(o),
      run: async (ctx) => {
        if (ctx.state.recreated) return { skipped: `${original} was recreated by an earlier run` };
        return backupStep(o).run(ctx);
      },
    },
    {
      id: 'delete-original',
      title: `delete Cluster ${original}`,
      plan: () => [
        {
          text: `DELETE Cluster ${ns}/${original} and poll until it is gone ${waitLine(o)}; its PVCs go with it, its archive stays in the bucket`,
        },
      ],
      run: async (ctx) => {
        if (ctx.state.recreated) return { skipped: `${original} is the recreated Cluster` };
        if (!(await ctx.api.get(origRef, { signal: ctx.signal }))) {
          ctx.state.deleted = true;
          return { skipped: `${original} does not exist` };
        }
        await ctx.api.delete(origRef, { signal: ctx.signal });
        ctx.state.deleted = true;
        const t0 = Date.now();
        while (await ctx.api.get(origRef, { signal: ctx.signal })) {
          if (Date.now() - t0 > o.timeoutMs)
            throw new PgdrError(
              'K8S_TIMEOUT',
              `${describeRef(origRef)} still exists ${o.timeoutMs / 1000} s after its deletion`,
              {
                hint: `kubectl get cluster ${original} -n ${ns} -o yaml: a finalizer may hold it; run again once it is gone`,
              },
            );
          await sleep(o.pollMs, ctx.signal);
        }
        return `deleted ${describeRef(origRef)}`;
      },
    },
    {
      id: 'recreate',
      title: `recreate ${original} from the backup`,
      plan: () => {
        const m = planned();
        return [
          {
            text: `POST Cluster ${ns}/${original}, cloned from ${o.recovered}'s spec, recovering from the backup (BACKUPIDTXXXXXX stands for its status.backupId) and the WAL after it; serverName ${original}-vN is the one picked in the pre-checks`,
            ...(m ? { manifest: m } : {}),
          },
        ];
      },
      run: async (ctx) => {
        if (ctx.state.recreated) return { skipped: `${original} exists from an earlier run: waiting for it` };
        const m = recreatedCluster(
          o,
          ctx.state.recovered,
          need(ctx.state.recoveredServerName, 'the recovered serverName'),
          need(ctx.state.serverName, 'the new serverName'),
          need(ctx.state.backupId, 'the backup'),
        );
        const bad = clusterAdmissionProblems(m.object);
        if (bad.length)
          throw new PgdrError(
            'USAGE',
            `the recreated Cluster would be refused: ${bad.map((b) => `${b.path}: ${b.message}`).join('; ')}`,
            { hint: `${original} was deleted: fix ${o.recovered}'s spec and run again` },
          );
        await ctx.api.create(m.object as K8sObject, { signal: ctx.signal });
        ctx.state.recreated = true;
        return `created ${describeRef(origRef)} from backup ${ctx.state.backupId}, archiving under ${ctx.state.serverName}`;
      },
    },
    {
      id: 'wait',
      title: `wait for ${original} to be ready`,
      plan: () => [
        { text: `poll Cluster ${original} until it is healthy with every instance ready ${waitLine(o)}` },
      ],
      run: async (ctx) => {
        ctx.state.ready = await waitInStep(ctx, origRef, {
          timeoutMs: o.timeoutMs,
          pollMs: o.pollMs,
          hopeless: (s) => archiveCheckFailed(s),
        });
        const archive = ctx.state.ready.archiveServerName;
        if (archive !== ctx.state.serverName)
          throw new PgdrError(
            'CONFLICT',
            `${original} archives under ${archive ?? 'nothing'}, not ${ctx.state.serverName}`,
          );
        return stateLine(ctx.state.ready);
      },
    },
    {
      id: 'verify',
      title: 'verify',
      plan: () => [
        {
          text: `check the status, then run pgdr verify checks ${o.connection ? 'over --connection' : `through a port-forward to ${original}'s primary`}; when that cannot be opened the verification is partial (said)`,
        },
      ],
      run: async (ctx) => {
        const v = await verifyCluster(need(ctx.state.ready, 'a ready Cluster'), {
          api: ctx.api,
          connection: o.connection,
          database: o.database,
          strict: false,
          progress: ctx.progress,
          signal: ctx.signal,
        });
        return v.partial ? `${v.summary} (partial: ${v.partial})` : v.summary;
      },
    },
    poolerStep(o, original, 'switch'),
    {
      id: 'scale-back',
      title: 'scale applications back',
      plan: () => [
        {
          text: `scale ${[...scaled].reverse().join(', ') || 'nothing'} back to the counts in ConfigMap ${replicasConfigMapName(k)}, then delete it`,
        },
      ],
      run: async (ctx) => {
        const targets = ctx.state.targets ?? [];
        if (targets.length === 0) return { skipped: 'nothing to scale' };
        const done = await scaleBack(ctx.api, k, targets, ctx.signal);
        ctx.state.switched = true;
        return `scaled back: ${done.join(', ')}`;
      },
    },
  ];
}
