// Pieces shared by the Cluster manifests (replica, recovery): the image, storage and the plugin references
// that tie a Cluster to the ObjectStore under an explicit serverName.
import { PgdrError } from '../errors.js';
import { BARMAN_PLUGIN, CNPG_API, type K8sObject, type ManifestSource, meta } from './manifest-types.js';
import { carryOver } from './source-cluster.js';

export interface StoreRef {
  /** The ObjectStore resource. */
  readonly objectStore: string;
  /** The folder under destinationPath: always explicit, as the default (the Cluster name) is what bites. */
  readonly serverName: string;
}

/** An externalClusters entry reading a server's backups and WAL through the plugin. */
export function externalCluster(name: string, ref: StoreRef): Record<string, unknown> {
  return {
    name,
    plugin: {
      name: BARMAN_PLUGIN,
      parameters: { barmanObjectName: ref.objectStore, serverName: ref.serverName },
    },
  };
}

/** The spec.plugins entry that archives this Cluster's WAL (and takes its backups) under ref.serverName. */
export function walArchiver(ref: StoreRef): Record<string, unknown> {
  return {
    name: BARMAN_PLUGIN,
    isWALArchiver: true,
    parameters: { barmanObjectName: ref.objectStore, serverName: ref.serverName },
  };
}

function imageName(src: ManifestSource): string | undefined {
  const { imageName, postgresVersion } = src.k8s;
  return imageName ?? (postgresVersion ? `ghcr.io/cloudnative-pg/postgresql:${postgresVersion}` : undefined);
}

interface BasicsOptions {
  /** spec.instances (--instances); default the source's, else kubernetes.instances. */
  readonly instances?: number | undefined;
  /** A Cluster in another namespace than the source (a drill): see CarryOptions.scratch. */
  readonly scratch?: boolean | undefined;
}

export interface ClusterBasics {
  readonly spec: Record<string, unknown>;
  /** database/owner/secret for bootstrap.recovery (from the source's bootstrap), or {}. */
  readonly recovery: Record<string, unknown>;
  readonly notes: string[];
}

/**
 * instances, image, storage and what the live source carries (source-cluster.ts) of a new Cluster. Without a
 * source, storage has no safe default, so it must be configured.
 */
function clusterBasics(src: ManifestSource, kind: string, o: BasicsOptions = {}): ClusterBasics {
  const size = src.k8s.storageSize;
  if (src.from) {
    const c = carryOver(src.from, { instances: o.instances, storageSize: size, scratch: o.scratch });
    if (!c.spec.storage && size === undefined)
      throw new PgdrError(
        'CONFIG_INVALID',
        `${src.from.origin} has no spec.storage and kubernetes.storageSize is not set`,
        {
          hint: 'set kubernetes.storageSize to the volume size of each instance, e.g. 50Gi',
        },
      );
    const spec: Record<string, unknown> = {
      instances: src.k8s.instances,
      ...(c.spec.storage ? {} : { storage: { size } }),
      ...c.spec,
    };
    if (!c.spec.imageName && !c.spec.imageCatalogRef) {
      const image = imageName(src);
      if (image) spec.imageName = image;
    }
    return {
      spec,
      recovery: c.recovery,
      notes: [`Carried over from ${src.from.origin}:`, ...c.fields.map((f) => `  ${f}`)],
    };
  }
  if (size === undefined) {
    throw new PgdrError('CONFIG_INVALID', `kubernetes.storageSize is required for ${kind}`, {
      hint: 'set kubernetes.storageSize to the volume size of each instance (at least the database size), e.g. 50Gi',
    });
  }
  const image = imageName(src);
  return {
    spec: {
      instances: o.instances ?? src.k8s.instances,
      ...(image ? { imageName: image } : {}),
      storage: { size },
    },
    recovery: {},
    notes: [
      `Built from the configuration only${src.configOnly ? ` (${src.configOnly})` : ''}: postgresql.parameters,`,
      'resources and the application database are not carried over from the source Cluster. A lower',
      'max_connections (and other hot-standby settings) than the source makes the recovery fail: use',
      '--from-cluster FILE (kubectl get cluster NAME -o yaml), or run with access to the Kubernetes API.',
      ...imageNote(src),
    ],
  };
}

/** What every new Cluster built from the source's archive (replica, recovery) takes. */
export interface NewClusterOptions {
  readonly name?: string | undefined;
  readonly namespace?: string | undefined;
  /** Where the new Cluster archives; default its own name. Must hold nothing in the bucket yet. */
  readonly archiveServerName?: string | undefined;
  /** spec.instances; default the source Cluster's, else kubernetes.instances. */
  readonly instances?: number | undefined;
}

export type NewClusterKind = 'recovery-cluster' | 'replica-cluster';

/**
 * Name, namespace, the archive read (`source`) and the one written (`archive`, checked to be another folder)
 * and the basics of a new Cluster of `kind`, and the Cluster object itself.
 */
export function newCluster(src: ManifestSource, kind: NewClusterKind, o: NewClusterOptions) {
  const k = src.k8s;
  const name = o.name ?? (kind === 'recovery-cluster' ? k.recoveredCluster : k.replicaCluster);
  const namespace = o.namespace ?? k.namespace;
  const source = { objectStore: k.objectStore, serverName: src.config.serverName };
  const archive = { objectStore: k.objectStore, serverName: o.archiveServerName ?? name };
  assertNewArchive(archive, source, '--archive-server-name');
  const basics = clusterBasics(src, kind, { instances: o.instances, scratch: namespace !== k.namespace });
  /** The Cluster with these basics and `spec` (bootstrap, plugins, externalClusters...). */
  const cluster = (spec: Record<string, unknown>): K8sObject => ({
    apiVersion: CNPG_API,
    kind: 'Cluster',
    metadata: meta(name, namespace),
    spec: { ...basics.spec, ...spec },
  });
  return { name, namespace, source, archive, basics, cluster };
}

/** The archive must be a different folder from the one read: the operator refuses a non-empty archive. */
function assertNewArchive(archive: StoreRef, source: StoreRef, flag: string): void {
  if (archive.serverName === source.serverName && archive.objectStore === source.objectStore) {
    throw new PgdrError('USAGE', `${flag} '${archive.serverName}' is the source's own serverName`, {
      hint: `CloudNativePG refuses to archive into a serverName that already holds WAL: choose a new one with ${flag}`,
    });
  }
}

function imageNote(src: ManifestSource): string[] {
  return imageName(src)
    ? []
    : [
        'No kubernetes.imageName/postgresVersion: the operator default image is used; it must run the same',
        'PostgreSQL major version as the source or recovery fails.',
      ];
}
