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
