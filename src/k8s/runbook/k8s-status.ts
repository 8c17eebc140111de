// `pgdr k8s status`: reads the Clusters (source, replica, recovered), pgdr's scale-down record and the bucket
// (through the ObjectStore and its Secret), then diagnoses. Read-only: nothing is created or patched.
import { listServerNames } from '../../catalog/backup-catalog.js';
import type { PgdrConfig } from '../../config/types.js';
import { inspectServer, type StatusResult } from '../../engine/status.js';
import { isPgdrError } from '../../errors.js';
import { type KubeApi, ref } from '../api/kube-api.js';
import { type ClusterState, clusterState } from '../cluster-state.js';
import { type BucketFacts, type Diagnosis, diagnose, type Role } from '../diagnose.js';
import { CNPG_API, type ManifestSource } from '../manifest-types.js';
import { openClusterBucket, readObjectStore } from './cluster-bucket.js';
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
  for (const [role, name] of wanted) {
    const c = await api.get(ref(CNPG_API, 'Cluster', k.namespace, name), { signal: o.signal });
    clusters.push({ role, name, ...(c ? { state: clusterState(c) } : {}) });
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
      advice: `check ObjectStore ${k.objectStore} and Secret ${k.credentialsSecret.name} (seed: "Backup List Returns Empty")`,
    });
  return { clusters, bucket, bucketUrl, bucketError, servers, scaledDown, diagnoses };
}
