// What every manifest builder returns. Builders are pure: the CLI prints their objects, the runbooks send the
// same objects to the Kubernetes API, so what `--dry-run` shows is exactly what is applied.
import type { KubernetesConfig } from '../config/kubernetes-types.js';
import type { PgdrConfig } from '../config/types.js';
import type { SourceCluster } from './source-cluster.js';

export const CNPG_API = 'postgresql.cnpg.io/v1';
export const BARMAN_API = 'barmancloud.cnpg.io/v1';
export const BARMAN_PLUGIN = 'barman-cloud.cloudnative-pg.io';
export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'pgdr' } as const;

export interface ObjectMeta {
  readonly name: string;
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: ObjectMeta;
  readonly [field: string]: unknown;
}

/** The object a merge patch applies to (a patch carries no apiVersion, kind or name of its own). */
interface PatchTarget {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace: string;
}

export interface Manifest {
  /** Exactly what is printed or sent: a full object, or the body of a merge patch. */
  readonly object: K8sObject | Readonly<Record<string, unknown>>;
  readonly patchOf?: PatchTarget | undefined;
  /** What to know before applying it; printed as YAML comments. */
  readonly notes: readonly string[];
}

/** The inputs of every builder: pgdr's config with its `kubernetes:` section already checked. */
export interface ManifestSource {
  readonly config: Pick<PgdrConfig, 'serverName' | 'objectStore' | 'retentionPolicy'>;
  readonly k8s: KubernetesConfig;
  /** The live source Cluster (or its YAML): new Clusters take its image, parameters, resources, storage. */
  readonly from?: SourceCluster | undefined;
  /** Without `from`: why the Cluster manifests are built from the configuration alone (said in the notes). */
  readonly configOnly?: string | undefined;
}

export function meta(name: string, namespace: string): ObjectMeta {
  return { name, namespace, labels: { ...MANAGED_BY } };
}
