// The runbook's recovery-cluster.yaml: a new Cluster bootstrapped from the source's backups and WAL (PITR or
// latest), archiving under a new serverName so the operator's empty-archive check passes.
import { externalCluster, type NewClusterOptions, newCluster, walArchiver } from './cluster-parts.js';
import type { Manifest, ManifestSource } from './manifest-types.js';
import { describeTarget, type RecoveryTarget } from './recovery-target.js';

/** The runbook's name for the externalClusters entry the recovery reads from. */
const RECOVERY_SOURCE = 'backup-source';

export interface RecoveryClusterOptions extends NewClusterOptions {
  /** Already checked (checkRecoveryTarget); undefined recovers to the end of the archive. */
  readonly target?: RecoveryTarget | undefined;
  /** false for a throw-away Cluster (drill): no WAL archiver, so nothing is written to the bucket. */
  readonly archive?: boolean | undefined;
}

export function recoveryClusterManifest(src: ManifestSource, opts: RecoveryClusterOptions = {}): Manifest {
  const k = src.k8s;
  const { name, namespace, source, archive, basics, cluster } = newCluster(src, 'recovery-cluster', opts);
  const recovery = {
    source: RECOVERY_SOURCE,
    ...basics.recovery,
    ...(opts.target ? { recoveryTarget: opts.target } : {}),
  };
  return {
    object: cluster({
      bootstrap: { recovery },
      ...(opts.archive === false ? {} : { plugins: [walArchiver(archive)] }),
      externalClusters: [externalCluster(RECOVERY_SOURCE, source)],
    }),
    notes: [
      `Recovers serverName ${source.serverName} from ObjectStore ${k.objectStore} up to ${describeTarget(opts.target)}.`,
      opts.archive === false
        ? 'Does not archive WAL: a throw-away Cluster, writes nothing to the bucket.'
        : `Archives under the new serverName ${archive.serverName}: it must hold no WAL yet ("WAL archive check failed").`,
      ...(namespace !== k.namespace
        ? [
            `Namespace ${namespace}: ObjectStore ${k.objectStore} and Secret ${k.credentialsSecret.name} must exist there too.`,
          ]
        : []),
      ...basics.notes,
      // A throw-away Cluster never takes the applications over: how to switch to it is beside the point.
      ...(opts.archive === false
        ? []
        : [
            `metadata.name is immutable: a patch of /metadata/name cannot rename ${name} to ${k.cluster}.`,
            `To switch, point the applications at ${name}-rw (and -ro),`,
            `or back ${name} up and recreate a Cluster named ${k.cluster} from that backup.`,
          ]),
    ],
  };
}
