// The source Cluster's spec.plugins entry that archives its WAL (and takes its backups) through the ObjectStore
// under an explicit serverName: what the runbook's setup adds to the live Cluster, as a merge patch.
import { walArchiver } from './cluster-parts.js';
import { CNPG_API, type Manifest, type ManifestSource } from './manifest-types.js';

export interface ClusterPluginOptions {
  readonly namespace?: string | undefined;
  /** The Cluster to patch; default kubernetes.cluster. */
  readonly cluster?: string | undefined;
  /** Default pgdr's serverName. */
  readonly serverName?: string | undefined;
}

export function clusterPluginPatch(src: ManifestSource, o: ClusterPluginOptions = {}): Manifest {
  const k = src.k8s;
  const cluster = o.cluster ?? k.cluster;
  const serverName = o.serverName ?? src.config.serverName;
  return {
    object: { spec: { plugins: [walArchiver({ objectStore: k.objectStore, serverName })] } },
    patchOf: { apiVersion: CNPG_API, kind: 'Cluster', name: cluster, namespace: o.namespace ?? k.namespace },
    notes: [
      `Merge patch of Cluster ${cluster}: archive WAL and take backups through ObjectStore ${k.objectStore}`,
      `under serverName ${serverName} (explicit: the default, the Cluster's name, changes with a recreated Cluster).`,
      'A merge patch replaces spec.plugins whole: if the Cluster lists other plugins, add this entry to its list',
      `instead (kubectl edit cluster ${cluster}). Apply: kubectl patch cluster ${cluster} -n ${o.namespace ?? k.namespace} --type merge -p "$(pgdr k8s manifests cluster-plugin -o json)"`,
      'serverName must be one no other Cluster archives to, and the bucket must hold no WAL under it for a new Cluster.',
    ],
  };
}
