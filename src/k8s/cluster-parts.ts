// Pieces shared by the Cluster manifests (replica, recovery): the image, storage and the plugin references
// that tie a Cluster to the ObjectStore under an explicit serverName.
import { PgdrError } from '../errors.js';
import { BARMAN_PLUGIN, type ManifestSource } from './manifest-types.js';

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

export function imageName(src: ManifestSource): string | undefined {
  const { imageName, postgresVersion } = src.k8s;
  return imageName ?? (postgresVersion ? `ghcr.io/cloudnative-pg/postgresql:${postgresVersion}` : undefined);
}

/** instances, image and storage of a new Cluster; storage has no safe default, so it must be configured. */
export function clusterBasics(src: ManifestSource, kind: string): Record<string, unknown> {
  const size = src.k8s.storageSize;
  if (size === undefined) {
    throw new PgdrError('CONFIG_INVALID', `kubernetes.storageSize is required for ${kind}`, {
      hint: 'set kubernetes.storageSize to the volume size of each instance (at least the database size), e.g. 50Gi',
    });
  }
  const image = imageName(src);
  return { instances: src.k8s.instances, ...(image ? { imageName: image } : {}), storage: { size } };
}

/** The archive must be a different folder from the one read: the operator refuses a non-empty archive. */
export function assertNewArchive(archive: StoreRef, source: StoreRef, flag: string): void {
  if (archive.serverName === source.serverName && archive.objectStore === source.objectStore) {
    throw new PgdrError('USAGE', `${flag} '${archive.serverName}' is the source's own serverName`, {
      hint: `CloudNativePG refuses to archive into a serverName that already holds WAL: choose a new one with ${flag}`,
    });
  }
}

export function imageNote(src: ManifestSource): string[] {
  return imageName(src)
    ? []
    : [
        'No kubernetes.imageName/postgresVersion: the operator default image is used; it must run the same',
        'PostgreSQL major version as the source or recovery fails.',
      ];
}
