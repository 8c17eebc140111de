// The runbook's replica-cluster.yaml: a hot standby Cluster that bootstraps from the source's backups and then
// follows its WAL through the plugin, archiving its own WAL under a different serverName.
import { assertNewArchive, clusterBasics, externalCluster, walArchiver } from './cluster-parts.js';
import { CNPG_API, type Manifest, type ManifestSource, meta } from './manifest-types.js';

export interface ReplicaClusterOptions {
  readonly name?: string | undefined;
  readonly namespace?: string | undefined;
  readonly archiveServerName?: string | undefined;
  /**
   * The distributed topology (`replica.primary`/`self`): promotion with a demotion token and no data loss,
   * instead of the standalone `replica.enabled` the runbook uses.
   */
  readonly distributed?: boolean | undefined;
  /** spec.instances; default the source Cluster's, else kubernetes.instances. */
  readonly instances?: number | undefined;
}

export function replicaClusterManifest(src: ManifestSource, opts: ReplicaClusterOptions = {}): Manifest {
  const k = src.k8s;
  const name = opts.name ?? k.replicaCluster;
  const source = { objectStore: k.objectStore, serverName: src.config.serverName };
  const archive = { objectStore: k.objectStore, serverName: opts.archiveServerName ?? name };
  assertNewArchive(archive, source, '--archive-server-name');
  // The externalClusters entries are named after the Clusters: replica.primary/self refer to them by name.
  const replica = opts.distributed
    ? { primary: k.cluster, self: name, source: k.cluster }
    : { enabled: true, source: k.cluster };
  const namespace = opts.namespace ?? k.namespace;
  const basics = clusterBasics(src, 'replica-cluster', {
    instances: opts.instances,
    scratch: namespace !== k.namespace,
  });
  const externalClusters = [externalCluster(k.cluster, source)];
  if (opts.distributed) externalClusters.push(externalCluster(name, archive));
  return {
    object: {
      apiVersion: CNPG_API,
      kind: 'Cluster',
      metadata: meta(name, namespace),
      spec: {
        ...basics.spec,
        bootstrap: { recovery: { source: k.cluster, ...basics.recovery } },
        replica,
        plugins: [walArchiver(archive)],
        externalClusters,
      },
    },
    notes: [
      `Follows ${k.cluster} (serverName ${source.serverName}) through ObjectStore ${k.objectStore}.`,
      `Archives its own WAL under serverName ${archive.serverName}, which must hold no WAL yet.`,
      ...(opts.distributed
        ? [
            `Distributed topology: the source Cluster ${k.cluster} needs the same replica section and externalClusters.`,
          ]
        : []),
      ...basics.notes,
    ],
  };
}
