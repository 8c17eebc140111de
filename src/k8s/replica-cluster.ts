// The runbook's replica-cluster.yaml: a hot standby Cluster that bootstraps from the source's backups and then
// follows its WAL through the plugin, archiving its own WAL under a different serverName.
import { externalCluster, type NewClusterOptions, newCluster, walArchiver } from './cluster-parts.js';
import type { Manifest, ManifestSource } from './manifest-types.js';

export interface ReplicaClusterOptions extends NewClusterOptions {
  /**
   * The distributed topology (`replica.primary`/`self`): promotion with a demotion token and no data loss,
   * instead of the standalone `replica.enabled` the runbook uses.
   */
  readonly distributed?: boolean | undefined;
}

export function replicaClusterManifest(src: ManifestSource, opts: ReplicaClusterOptions = {}): Manifest {
  const k = src.k8s;
  const { name, source, archive, basics, cluster } = newCluster(src, 'replica-cluster', opts);
  // The externalClusters entries are named after the Clusters: replica.primary/self refer to them by name.
  const replica = opts.distributed
    ? { primary: k.cluster, self: name, source: k.cluster }
    : { enabled: true, source: k.cluster };
  const externalClusters = [externalCluster(k.cluster, source)];
  if (opts.distributed) externalClusters.push(externalCluster(name, archive));
  return {
    object: cluster({
      bootstrap: { recovery: { source: k.cluster, ...basics.recovery } },
      replica,
      plugins: [walArchiver(archive)],
      externalClusters,
    }),
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
