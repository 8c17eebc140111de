// The runbook's recovery-cluster.yaml: a new Cluster bootstrapped from the source's backups and WAL (PITR or
// latest), archiving under a new serverName so the operator's empty-archive check passes.
import { assertNewArchive, clusterBasics, externalCluster, walArchiver } from './cluster-parts.js';
import { CNPG_API, type Manifest, type ManifestSource, meta } from './manifest-types.js';
import { describeTarget, type RecoveryTarget } from './recovery-target.js';

/** The runbook's name for the externalClusters entry the recovery reads from. */
export const RECOVERY_SOURCE = 'backup-source';

export interface RecoveryClusterOptions {
  /** Already checked (checkRecoveryTarget); undefined recovers to the end of the archive. */
  readonly target?: RecoveryTarget | undefined;
  readonly name?: string | undefined;
  readonly namespace?: string | undefined;
  /** Where the recovered cluster archives; default its own name. Must hold nothing in the bucket yet. */
  readonly archiveServerName?: string | undefined;
  /** false for a throw-away Cluster (drill): no WAL archiver, so nothing is written to the bucket. */
  readonly archive?: boolean | undefined;
  /** spec.instances; default the source Cluster's, else kubernetes.instances. */
  readonly instances?: number | undefined;
}

export function recoveryClusterManifest(src: ManifestSource, opts: RecoveryClusterOptions = {}): Manifest {
  const k = src.k8s;
  const name = opts.name ?? k.recoveredCluster;
  const namespace = opts.namespace ?? k.namespace;
  const source = { objectStore: k.objectStore, serverName: src.config.serverName };
  const archive = { objectStore: k.objectStore, serverName: opts.archiveServerName ?? name };
  assertNewArchive(archive, source, '--archive-server-name');
  const basics = clusterBasics(src, 'recovery-cluster', {
    instances: opts.instances,
    scratch: namespace !== k.namespace,
  });
  const recovery = {
    source: RECOVERY_SOURCE,
    ...basics.recovery,
    ...(opts.target ? { recoveryTarget: opts.target } : {}),
  };
  return {
    object: {
      apiVersion: CNPG_API,
      kind: 'Cluster',
      metadata: meta(name, namespace),
      spec: {
        ...basics.spec,
        bootstrap: { recovery },
        ...(opts.archive === false ? {} : { plugins: [walArchiver(archive)] }),
        externalClusters: [externalCluster(RECOVERY_SOURCE, source)],
      },
    },
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
