// KIND -> builder, for `pgdr k8s manifests KIND`. Runbooks call the builders directly.
import type { PgdrConfig } from '../config/types.js';
import { PgdrError } from '../errors.js';
import { clusterPluginPatch } from './cluster-plugin.js';
import { drillCronJobManifests } from './drill-cronjob.js';
import type { Manifest, ManifestSource } from './manifest-types.js';
import { monitoringManifests } from './monitoring.js';
import { objectStoreManifest } from './object-store.js';
import { type PromotionOptions, promotionPatch } from './promotion-patch.js';
import { type RecoveryClusterOptions, recoveryClusterManifest } from './recovery-cluster.js';
import { type ReplicaClusterOptions, replicaClusterManifest } from './replica-cluster.js';
import { backupManifest, type ScheduledBackupOptions, scheduledBackupManifest } from './scheduled-backup.js';

export const MANIFEST_KINDS = [
  'objectstore',
  'cluster-plugin',
  'scheduled-backup',
  'backup',
  'replica-cluster',
  'recovery-cluster',
  'promotion-patch',
  'drill-cronjob',
  'monitoring',
] as const;
export type ManifestKind = (typeof MANIFEST_KINDS)[number];

/** The flags of `pgdr k8s manifests`: each builder takes the part it knows. */
export type ManifestOptions = RecoveryClusterOptions &
  ReplicaClusterOptions &
  Pick<ScheduledBackupOptions, 'schedule'> &
  Pick<PromotionOptions, 'promotionToken'>;

export function manifestSource(config: PgdrConfig): ManifestSource {
  if (!config.kubernetes) {
    throw new PgdrError('CONFIG_INVALID', `the configuration (${config.source}) has no kubernetes: section`, {
      hint: 'add kubernetes: {namespace, cluster, objectStore, credentialsSecret, applications, pooler} (docs/kubernetes.md)',
    });
  }
  return { config, k8s: config.kubernetes };
}

export function buildManifests(kind: ManifestKind, src: ManifestSource, o: ManifestOptions = {}): Manifest[] {
  const ns = { namespace: o.namespace };
  switch (kind) {
    case 'objectstore':
      return [objectStoreManifest(src, ns)];
    case 'cluster-plugin':
      return [clusterPluginPatch(src, ns)];
    case 'scheduled-backup':
      return [scheduledBackupManifest(src, { ...ns, schedule: o.schedule })];
    case 'backup':
      return [backupManifest(src, { ...ns, name: o.name ?? `${src.k8s.cluster}-on-demand` })];
    case 'replica-cluster':
      return [replicaClusterManifest(src, { ...ns, ...o })];
    case 'recovery-cluster':
      return [recoveryClusterManifest(src, { ...ns, ...o })];
    case 'promotion-patch':
      return [promotionPatch(src, { ...ns, promotionToken: o.promotionToken })];
    case 'drill-cronjob':
      return drillCronJobManifests(src, ns);
    case 'monitoring':
      return monitoringManifests(src, ns);
  }
}
