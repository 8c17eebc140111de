// The container image packaging/container builds (Containerfile, build-offline.sh): what the manifests that run
// pgdr inside the cluster use unless kubernetes.drill.image names another. test/unit/packaging-container.test.ts
// keeps the build scripts on the same name and user.
import { VERSION } from '../version.js';

export const PGDR_IMAGE_REPOSITORY = 'ghcr.io/pgdr/pgdr';
export const PGDR_IMAGE = `${PGDR_IMAGE_REPOSITORY}:${VERSION}`;
/**
 * The image's non-root user and group, as CloudNativePG's PostgreSQL images. The pod runs as it: PostgreSQL
 * (started by a drill) needs its uid in the image's /etc/passwd.
 */
export const PGDR_IMAGE_UID = 26;

/** Where a pod running pgdr mounts its configuration: the ConfigMap holding pgdr.yaml. */
export const PGDR_CONFIG_DIR = '/etc/pgdr';

/**
 * What a pgdr container gets besides its name, command and environment: modest resources and the configuration
 * mounted read-only; and its pod's volume, the ConfigMap `configMap`. Fresh objects each call, so no rendered
 * manifest shares one (YAML would print an alias).
 */
export function pgdrContainerParts(configMap: string) {
  return {
    container: {
      resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '512Mi' } },
      volumeMounts: [{ name: 'config', mountPath: PGDR_CONFIG_DIR, readOnly: true }],
    },
    volumes: [{ name: 'config', configMap: { name: configMap } }],
  };
}
