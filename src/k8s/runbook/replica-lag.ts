// The replay lag of a replica Cluster, measured as `pgdr replica status` measures a host standby: its designated
// primary's replay position (through a port-forward, logged in with the credentials Secret CloudNativePG keeps)
// against the newest WAL the source archived in the bucket (read through the ObjectStore with its Secret).
// A replica fed from the object store alone has no WAL receiver: pg_stat_wal_receiver is empty, and that is
// expected, not a fault: the archive is what it follows.
import type { PgdrConfig } from '../../config/types.js';
import { type ReplicaStatus, replicaStatus } from '../../engine/replica/status.js';
import { PgdrError } from '../../errors.js';
import type { KubeApi, PortForward } from '../api/kube-api.js';
import { clusterState } from '../cluster-state.js';
import type { K8sObject } from '../manifest-types.js';
import { obj, strOf } from '../object-fields.js';
import { openClusterBucket, readObjectStore } from './cluster-bucket.js';
import { forwardedConnection, readDbCredentials } from './db-credentials.js';
import { POSTGRES_PORT } from './verify-cluster.js';

export interface ReplicaLag {
  readonly cluster: string;
  readonly namespace: string;
  /** The pod measured: the replica Cluster's designated primary. */
  readonly pod: string;
  /** Where it reads WAL: the source's serverName through an ObjectStore. */
  readonly objectStore: string;
  readonly serverName: string;
  /** True when the replica also streams from the source (externalClusters connectionParameters). */
  readonly streaming: boolean;
  /** What an empty pg_stat_wal_receiver means here. */
  readonly receiverNote: string;
  readonly status: ReplicaStatus;
}

/** Where a replica Cluster reads its WAL: the externalClusters entry spec.replica.source names. */
export function replicaSource(c: K8sObject): { objectStore: string; serverName: string; streaming: boolean } {
  const spec = obj(c.spec);
  const ns = c.metadata.namespace ?? '';
  const sourceName = strOf(obj(spec.replica).source);
  const external = (Array.isArray(spec.externalClusters) ? spec.externalClusters : []).map(obj);
  const entry = external.find((e) => e.name === sourceName);
  const params = obj(obj(entry?.plugin).parameters);
  const objectStore = strOf(params.barmanObjectName);
  if (!sourceName || !entry || !objectStore)
    throw new PgdrError(
      'CONFIG_INVALID',
      `Cluster ${ns}/${c.metadata.name} is not a replica Cluster reading an ObjectStore (spec.replica.source and its externalClusters plugin entry)`,
      { hint: 'pgdr k8s manifests replica-cluster shows the shape pgdr expects' },
    );
  return {
    objectStore,
    serverName: strOf(params.serverName) ?? sourceName,
    streaming: Object.keys(obj(entry.connectionParameters)).length > 0,
  };
}

export async function replicaLag(
  api: KubeApi,
  config: PgdrConfig,
  c: K8sObject,
  signal?: AbortSignal,
): Promise<ReplicaLag> {
  const s = clusterState(c);
  const source = replicaSource(c);
  if (!s.currentPrimary)
    throw new PgdrError(
      'NOT_STANDBY',
      `Cluster ${s.namespace}/${s.name} has no designated primary yet (${s.phase})`,
      {
        hint: `kubectl describe cluster ${s.name} -n ${s.namespace}`,
      },
    );
  const os = await readObjectStore(api, { namespace: s.namespace, objectStore: source.objectStore });
  const bucket = await openClusterBucket(api, config, os);
  let forward: PortForward | undefined;
  try {
    const creds = await readDbCredentials(api, c, signal);
    forward = await api.portForward(s.namespace, s.currentPrimary, POSTGRES_PORT, { signal });
    const status = await replicaStatus({
      connectionString: forwardedConnection(creds, forward.host, forward.port),
      store: bucket.store,
      serverName: source.serverName,
      signal,
    });
    return {
      cluster: s.name,
      namespace: s.namespace,
      pod: s.currentPrimary,
      ...source,
      receiverNote: status.walReceiver
        ? `streaming from ${status.walReceiver.senderHost ?? '?'} (${status.walReceiver.status})`
        : source.streaming
          ? 'pg_stat_wal_receiver is empty although the replica has connectionParameters: it is not streaming now, only the archive feeds it'
          : 'pg_stat_wal_receiver is empty, as expected: this replica is fed from the object store only (no streaming connection), so its lag is measured against the bucket',
      status,
    };
  } catch (e) {
    const broken = forward?.failure();
    if (broken && e instanceof PgdrError && e.code === 'POSTGRES_UNREACHABLE')
      throw new PgdrError('K8S_API', `the port-forward to ${forward?.describe()} failed: ${broken}`, {
        cause: e,
      });
    throw e;
  } finally {
    await forward?.close();
    await bucket.store.close();
  }
}
