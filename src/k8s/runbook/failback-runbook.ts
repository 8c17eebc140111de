// `pgdr k8s failback`: the runbook's two ways back to normal after a recovery Cluster took over. Shared here:
// the recovered Cluster's checks, its backup (a Backup object, method plugin, waited for until completed) and
// the check that the backup and its WAL are in the bucket; `keep` is this file's plan, `original` is
// failback-original.ts. Every step reads what an earlier run left behind first, so a rerun goes on from there.
import type { PgdrConfig } from '../../config/types.js';
import { inspectServer } from '../../engine/status.js';
import { PgdrError } from '../../errors.js';
import { describeRef, ref } from '../api/kube-api.js';
import { type ClusterState, clusterState, isReady, stateLine } from '../cluster-state.js';
import { CNPG_API, type K8sObject, type ManifestSource } from '../manifest-types.js';
import { backupManifest } from '../scheduled-backup.js';
import { openClusterBucket, readObjectStore } from './cluster-bucket.js';
import type { RunbookContext, Step } from './runbook.js';
import type { ScaleTarget } from './scale.js';
import { sleep } from './wait-cluster.js';

type FailbackOption = 'keep' | 'original';

export interface FailbackOptions {
  readonly config: PgdrConfig;
  readonly src: ManifestSource;
  readonly option: FailbackOption;
  /** The Cluster that took over (default kubernetes.recoveredCluster). */
  readonly recovered: string;
  readonly timeoutMs: number;
  readonly pollMs: number;
  /** The recovered Cluster as read for --dry-run (the run reads it again). */
  readonly recoveredObject?: K8sObject | undefined;
  readonly connection?: string | undefined;
  readonly database?: string | undefined;
}

export interface FailbackContext extends RunbookContext {
  readonly confirm: (summary: string[]) => Promise<void>;
  readonly state: {
    recovered?: K8sObject;
    /** Where the recovered Cluster archives (its spec.plugins serverName). */
    recoveredServerName?: string;
    backupId?: string;
    /** original: the serverName the recreated Cluster archives to (`<name>-v<N>`). */
    serverName?: string;
    /** original: the Cluster under the original name was recreated by an earlier run (or this one). */
    recreated?: boolean;
    deleted?: boolean;
    targets?: ScaleTarget[];
    counts?: Record<string, string>;
    scaledDown?: boolean;
    ready?: ClusterState;
    switched?: boolean;
    pooler?: string;
  };
}

/** One Backup per failback, named after the recovered Cluster: a rerun finds it. */
const failbackBackupName = (recovered: string): string => `${recovered}-failback`;

export const waitLine = (o: FailbackOptions) =>
  `(every ${o.pollMs / 1000} s; give up after ${Math.round(o.timeoutMs / 1000)} s)`;

/** The recovered Cluster: a ready primary that archives, else nothing can be backed up from it. */
export async function checkRecovered(
  ctx: FailbackContext,
  o: FailbackOptions,
): Promise<{ object: K8sObject; state: ClusterState }> {
  const k = o.src.k8s;
  const r = ref(CNPG_API, 'Cluster', k.namespace, o.recovered);
  const c = await ctx.api.get(r, { signal: ctx.signal });
  if (!c)
    throw new PgdrError('NOT_FOUND', `${describeRef(r)} (the recovered Cluster) does not exist`, {
      hint: `name it with --recovered NAME (default kubernetes.recoveredCluster: ${k.recoveredCluster})`,
    });
  const s = clusterState(c);
  if (s.replica)
    throw new PgdrError('REFUSED', `${o.recovered} still follows another Cluster: it is not the primary`, {
      hint: `promote it first (pgdr k8s promote --cluster ${o.recovered}), or fail back from the Cluster that took over`,
    });
  if (!isReady(s))
    throw new PgdrError('REFUSED', `${o.recovered} is not ready (${stateLine(s)})`, {
      hint: `pgdr k8s status ${o.recovered} shows why; a failback starts from a healthy primary`,
    });
  if (!s.archiveServerName)
    throw new PgdrError('REFUSED', `${o.recovered} does not archive WAL (no spec.plugins WAL archiver)`, {
      hint: 'add the barman-cloud plugin entry first: pgdr k8s manifests cluster-plugin',
    });
  ctx.state.recovered = c;
  ctx.state.recoveredServerName = s.archiveServerName;
  ctx.progress(`${o.recovered}: ${stateLine(s)}; archives under serverName ${s.archiveServerName}`);
  return { object: c, state: s };
}

/** Creates the failback Backup (or finds the one an earlier run created) and waits for it to complete. */
export function backupStep(o: FailbackOptions): Step<FailbackContext> {
  const k = o.src.k8s;
  const name = failbackBackupName(o.recovered);
  const manifest = backupManifest(o.src, { name, cluster: o.recovered });
  const r = ref(CNPG_API, 'Backup', k.namespace, name);
  return {
    id: 'backup',
    title: `back up ${o.recovered}`,
    plan: () => [
      { text: `POST Backup ${k.namespace}/${name} (kept by a rerun: a completed one is reused)`, manifest },
      { text: `poll it until status.phase is completed ${waitLine(o)}; failed stops the runbook` },
    ],
    run: async (ctx) => {
      let b = await ctx.api.get(r, { signal: ctx.signal });
      const reused = b !== undefined;
      if (b && phaseOf(b) === 'failed')
        throw new PgdrError('K8S_API', `${describeRef(r)} failed: ${errorOf(b)}`, {
          hint: `delete it (kubectl delete backup ${name} -n ${k.namespace}) and run again`,
        });
      if (!b) await ctx.api.create(manifest.object as K8sObject, { signal: ctx.signal });
      const t0 = Date.now();
      let last = '';
      for (;;) {
        b = await ctx.api.get(r, { signal: ctx.signal });
        const phase = b ? phaseOf(b) : 'gone';
        if (phase !== last) ctx.progress(`${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s  ${phase}`);
        last = phase;
        if (phase === 'completed') break;
        if (phase === 'failed' || phase === 'gone')
          throw new PgdrError('K8S_API', `${describeRef(r)} ${phase}: ${b ? errorOf(b) : 'deleted'}`, {
            hint: `kubectl describe backup ${name} -n ${k.namespace}; delete it and run again`,
          });
        if (Date.now() - t0 > o.timeoutMs)
          throw new PgdrError(
            'K8S_TIMEOUT',
            `${describeRef(r)} not completed after ${o.timeoutMs / 1000} s (${phase})`,
            {
              hint: 'run again to keep waiting for it, or raise --timeout',
            },
          );
        await sleep(o.pollMs, ctx.signal);
      }
      const id = (b?.status as { backupId?: unknown } | undefined)?.backupId;
      if (typeof id !== 'string' || !/^\d{8}T\d{6}$/.test(id))
        throw new PgdrError(
          'K8S_API',
          `${describeRef(r)} completed without a barman backup id in status.backupId`,
        );
      ctx.state.backupId = id;
      return `${reused ? "an earlier run's backup is " : ''}completed: backup ${id}`;
    },
  };
}

/** The backup is DONE in the bucket under the recovered Cluster's serverName, with WAL after it. */
function checkArchiveStep(o: FailbackOptions): Step<FailbackContext> {
  const k = o.src.k8s;
  return {
    id: 'check-archive',
    title: 'check the archive',
    plan: () => [
      {
        text: `open the bucket of ObjectStore ${k.objectStore} with its Secret; require the backup DONE under ${o.recovered}'s serverName and WAL archived after it`,
      },
    ],
    run: async (ctx) => {
      const serverName = ctx.state.recoveredServerName;
      const id = ctx.state.backupId;
      if (!serverName || !id) throw new PgdrError('INTERNAL', 'check-archive without the backup');
      const os = await readObjectStore(ctx.api, { namespace: k.namespace, objectStore: k.objectStore });
      const bucket = await openClusterBucket(ctx.api, o.config, os);
      try {
        const s = await inspectServer({
          store: bucket.store,
          serverName,
          now: new Date(),
          signal: ctx.signal,
        });
        if (!s.report.doneBackups.some((b) => b.backupId === id))
          throw new PgdrError(
            'CATALOG_INVALID',
            `backup ${id} is not DONE under ${bucket.store.displayUrl}/${serverName}/base/${id}/backup.info`,
            { hint: `pgdr backup list --server-name ${serverName} shows what the bucket holds` },
          );
        const last = s.report.current?.lastSegment;
        if (!last)
          throw new PgdrError('WAL_MISSING', `no WAL archived under serverName ${serverName}`, {
            hint: `kubectl describe cluster ${o.recovered} -n ${k.namespace}: the ContinuousArchiving condition says why`,
          });
        return `backup ${id} DONE; newest WAL ${last.name} under serverName ${serverName}`;
      } finally {
        await bucket.store.close();
      }
    },
  };
}

/** option keep: the recovered Cluster stays primary under its name; the applications follow it. */
export function keepPlan(o: FailbackOptions): Step<FailbackContext>[] {
  const k = o.src.k8s;
  const to = o.recovered;
  return [
    {
      id: 'pre-checks',
      title: 'pre-checks',
      plan: () => [
        {
          text: `read Cluster ${k.namespace}/${to}: it must be a ready primary that archives WAL (spec.plugins); read ObjectStore ${k.objectStore}`,
        },
      ],
      run: async (ctx) => {
        await checkRecovered(ctx, o);
        await readObjectStore(ctx.api, { namespace: k.namespace, objectStore: k.objectStore });
        return `${to} is a ready primary`;
      },
    },
    poolerStep(o, to, 'point-applications'),
    backupStep(o),
    checkArchiveStep(o),
  ];
}

/** Sends the Pooler (when there is one) to `cluster`; the applications' own settings are printed at the end. */
export function poolerStep(o: FailbackOptions, cluster: string, id: string): Step<FailbackContext> {
  const k = o.src.k8s;
  return {
    id,
    title: `point the applications at ${cluster}`,
    plan: () => [
      ...(k.pooler
        ? [
            {
              text: `PATCH Pooler ${k.pooler} (merge patch) so that it sends connections to ${cluster}`,
              manifest: {
                object: { spec: { cluster: { name: cluster } } },
                patchOf: { apiVersion: CNPG_API, kind: 'Pooler', name: k.pooler, namespace: k.namespace },
                notes: [],
              },
            },
          ]
        : []),
      {
        text: `applications connecting directly: host ${cluster}-rw (read-only: ${cluster}-ro), credentials Secret ${cluster}-app (printed at the end)`,
      },
    ],
    run: async (ctx) => {
      if (!k.pooler) return { skipped: `no kubernetes.pooler: point the applications at ${cluster}-rw` };
      const pr = ref(CNPG_API, 'Pooler', k.namespace, k.pooler);
      const p = await ctx.api.get(pr, { signal: ctx.signal });
      if (!p) return { skipped: `no Pooler ${k.pooler}: point the applications at ${cluster}-rw` };
      await ctx.api.mergePatch(pr, { spec: { cluster: { name: cluster } } }, { signal: ctx.signal });
      ctx.state.pooler = k.pooler;
      return `Pooler ${k.pooler} -> ${cluster}`;
    },
  };
}

const phaseOf = (b: K8sObject) => String((b.status as { phase?: unknown } | undefined)?.phase ?? 'pending');
const errorOf = (b: K8sObject) =>
  String((b.status as { error?: unknown } | undefined)?.error ?? 'no error given');
