// `pgdr k8s status`: reads the Clusters (source, replica, recovered), pgdr's scale-down record and the bucket
// (through the ObjectStore and its Secret), then diagnoses. Read-only: nothing is created or patched.
import { listServerNames } from '../../catalog/backup-catalog.js';
import type { PgdrConfig } from '../../config/types.js';
import { inspectServer, type StatusResult } from '../../engine/status.js';
import { isPgdrError } from '../../errors.js';
import { type KubeApi, ref } from '../api/kube-api.js';
import { type ClusterState, clusterState } from '../cluster-state.js';
import { type BucketFacts, type Diagnosis, diagnose, type Role } from '../diagnose.js';
import { CNPG_API, type K8sObject, type ManifestSource } from '../manifest-types.js';
import { openClusterBucket, readObjectStore } from './cluster-bucket.js';
import { type ReplicaLag, replicaLag } from './replica-lag.js';
import { replicasConfigMapName } from './scale.js';

export interface K8sStatus {
  readonly clusters: ReadonlyArray<{
    readonly role: Role;
    readonly name: string;
    readonly state?: ClusterState;
  }>;
  /** The bucket's view of pgdr's serverName, when it could be read. */
  readonly bucket?: StatusResult | undefined;
  readonly bucketUrl?: string | undefined;
  readonly bucketError?: string | undefined;
  readonly servers: ReadonlyMap<string, number>;
  readonly scaledDown?: Readonly<Record<string, string>> | undefined;
  /** The replica Cluster's replay lag against the bucket, when it exists and is still a replica. */
  readonly replicaLag?: ReplicaLag | undefined;
  readonly replicaLagError?: string | undefined;
  readonly diagnoses: readonly Diagnosis[];
}

export async function k8sStatus(
  api: KubeApi,
  config: PgdrConfig,
  src: ManifestSource,
  o: { now: Date; signal?: AbortSignal | undefined },
): Promise<K8sStatus> {
  const k = src.k8s;
  const wanted: [Role, string][] = [
    ['source', k.cluster],
    ['replica', k.replicaCluster],
    ['recovered', k.recoveredCluster],
  ];
  const clusters: { role: Role; name: string; state?: ClusterState }[] = [];
  let replicaObject: K8sObject | undefined;
  for (const [role, name] of wanted) {
    const c = await api.get(ref(CNPG_API, 'Cluster', k.namespace, name), { signal: o.signal });
    clusters.push({ role, name, ...(c ? { state: clusterState(c) } : {}) });
    if (role === 'replica' && c && clusterState(c).replica) replicaObject = c;
  }
  const cm = await api.get(ref('v1', 'ConfigMap', k.namespace, replicasConfigMapName(k)), {
    signal: o.signal,
  });
  const scaledDown = cm?.data as Record<string, string> | undefined;
  const present = clusters
    .filter((c) => c.state)
    .map((c) => ({ role: c.role, state: c.state as ClusterState }));

  const servers = new Map<string, number>();
  const walAge = new Map<string, number | null>();
  let bucket: StatusResult | undefined;
  let bucketUrl: string | undefined;
  let bucketError: string | undefined;
  try {
    const os = await readObjectStore(api, { namespace: k.namespace, objectStore: k.objectStore });
    const cb = await openClusterBucket(api, config, os);
    bucketUrl = cb.store.displayUrl;
    try {
      for (const name of await listServerNames(cb.store, { signal: o.signal })) servers.set(name, 0);
      // Only the servers the Clusters refer to are read in full: a bucket may hold many.
      const referenced = new Set([config.serverName, ...present.flatMap((c) => c.state.sourceServerNames)]);
      for (const name of referenced) {
        if (!servers.has(name)) continue;
        try {
          const r = await inspectServer({ store: cb.store, serverName: name, now: o.now, signal: o.signal });
          servers.set(name, r.report.doneBackups.length);
          const seg = r.report.current?.lastSegment;
          walAge.set(name, seg ? o.now.getTime() - seg.lastModified.getTime() : null);
          if (name === config.serverName) bucket = r;
        } catch (e) {
          if (!isPgdrError(e, 'NO_BACKUPS')) throw e;
        }
      }
    } finally {
      await cb.store.close();
    }
  } catch (e) {
    if (isPgdrError(e, 'K8S_FORBIDDEN') || isPgdrError(e, 'K8S_API') || isPgdrError(e, 'ABORTED')) throw e;
    bucketError = (e as Error).message;
  }
  let lag: ReplicaLag | undefined;
  let replicaLagError: string | undefined;
  if (replicaObject) {
    try {
      lag = await replicaLag(api, config, replicaObject, o.signal);
    } catch (e) {
      if (isPgdrError(e, 'ABORTED')) throw e;
      replicaLagError = (e as Error).message;
    }
  }
  const facts: BucketFacts | undefined = bucketError ? undefined : { servers, newestWalAgeMs: walAge };
  const diagnoses = diagnose({
    clusters: present,
    bucket: facts,
    scaledDown,
    originalName: k.cluster,
    now: o.now,
  });
  const found = [...servers].filter(([, n]) => n > 0).map(([n]) => n);
  if (!bucketError && (servers.get(config.serverName) ?? 0) === 0)
    diagnoses.unshift({
      level: 'error',
      cluster: k.cluster,
      finding: `serverName ${config.serverName} has no DONE backup in ${bucketUrl}`,
      advice: found.length
        ? `server names with backups: ${found.join(', ')}; set serverName (or --server-name) to the one the Cluster archives to`
        : 'take a first backup: kubectl apply -f <(pgdr k8s manifests backup)',
    });
  const source = present.find((c) => c.role === 'source')?.state;
  if (source?.archiveServerName && source.archiveServerName !== config.serverName)
    diagnoses.push({
      level: 'warn',
      cluster: k.cluster,
      finding: `${k.cluster} archives under serverName ${source.archiveServerName}, pgdr reads ${config.serverName}`,
      advice: `set serverName: ${source.archiveServerName} in pgdr's configuration`,
    });
  if (bucketError)
    diagnoses.unshift({
      level: 'error',
      cluster: k.cluster,
      finding: `the bucket cannot be read as the cluster would: ${bucketError}`,
      advice: `check ObjectStore ${k.objectStore} and Secret ${k.credentialsSecret.name} (runbook: "Backup List Returns Empty")`,
    });
  diagnoses.push(...lagDiagnoses(k.replicaCluster, lag, replicaLagError));
  const rank = { error: 0, warn: 1, info: 2 };
  diagnoses.sort((a, b) => rank[a.level] - rank[b.level]);
  return {
    clusters,
    bucket,
    bucketUrl,
    bucketError,
    servers,
    scaledDown,
    replicaLag: lag,
    replicaLagError,
    diagnoses,
  };
}

function lagDiagnoses(name: string, lag: ReplicaLag | undefined, error: string | undefined): Diagnosis[] {
  if (error)
    return [
      {
        level: 'warn',
        cluster: name,
        finding: `the replica's lag could not be measured: ${error}`,
        advice: `pgdr k8s replica-status ${name} says why (port-forward to its primary, the credentials Secret)`,
      },
    ];
  const s = lag?.status;
  if (!s || s.verdict === 'healthy') return [];
  if (s.verdict === 'stuck')
    return [
      {
        level: 'error',
        cluster: name,
        finding: `replica stuck on segment ${s.stuckSegment}: ${s.reason}`,
        advice: `the segment is missing or unreadable under serverName ${lag.serverName}: check the source's archiving; the replica cannot get past it (promoting now loses everything after it)`,
      },
    ];
  return [
    {
      level: 'warn',
      cluster: name,
      finding: `replica ${s.verdict}: ${s.reason}${s.lagSeconds !== null ? `, ${s.lagSeconds.toFixed(0)} s behind` : ''}`,
      advice: `kubectl logs ${lag.pod} -n ${lag.namespace} -c postgres | tail -100 (restore_command, replay)`,
    },
  ];
}
