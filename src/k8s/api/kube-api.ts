// The slice of the Kubernetes API the runbooks use, as pgdr's own interface: the runbooks read as a list of
// steps over these few verbs, and client-node (heavy, loaded lazily) stays behind one implementation.
import type { K8sObject } from '../manifest-types.js';

/** One object: kind + apiVersion pick the resource, namespace + name the object. */
export interface ObjectRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

export interface KubeApi {
  /** Where requests go, for messages: `context NAME at https://…` (never a token). */
  readonly where: string;
  /** The current context's namespace (in-cluster: the service account's), as kubectl defaults -n to. */
  readonly namespace?: string | undefined;
  /** The object, or undefined when it does not exist (404). */
  get(ref: ObjectRef, options?: CallOptions): Promise<K8sObject | undefined>;
  list(
    apiVersion: string,
    kind: string,
    namespace: string,
    options?: CallOptions & { labelSelector?: string },
  ): Promise<K8sObject[]>;
  create(object: K8sObject, options?: CallOptions): Promise<K8sObject>;
  /** An RFC 7386 merge patch (`application/merge-patch+json`), as `kubectl patch --type merge`. */
  mergePatch(
    ref: ObjectRef,
    patch: Readonly<Record<string, unknown>>,
    options?: CallOptions,
  ): Promise<K8sObject>;
  /** Deletes; an object already gone is not an error. */
  delete(ref: ObjectRef, options?: CallOptions): Promise<void>;
  /** spec.replicas of the /scale subresource (Deployments, Poolers, Clusters). */
  getScale(ref: ObjectRef, options?: CallOptions): Promise<number>;
  setScale(ref: ObjectRef, replicas: number, options?: CallOptions): Promise<void>;
  /**
   * A listener on 127.0.0.1 whose every connection reaches `port` of the pod through the API server (as
   * `kubectl port-forward pod/POD :PORT`). Fails at once when the API server refuses it (RBAC, no such pod).
   */
  portForward(namespace: string, pod: string, port: number, options?: CallOptions): Promise<PortForward>;
}

export interface PortForward {
  readonly host: string;
  readonly port: number;
  /** `pod NS/POD port 5432 (port-forward …)`, for reports. */
  describe(): string;
  /** Why a forwarded connection failed (the error channel, a refused upgrade), once one has. */
  failure(): string | undefined;
  /** Stops listening and closes every forwarded connection. */
  close(): Promise<void>;
}

export interface CallOptions {
  readonly signal?: AbortSignal;
}

/** How a kind maps to its REST resource; only kinds listed here can be used. */
export interface ResourceInfo {
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly namespaced: boolean;
}

const RESOURCES: Readonly<Record<string, ResourceInfo>> = {
  'v1/Pod': { group: '', version: 'v1', plural: 'pods', namespaced: true },
  'v1/Secret': { group: '', version: 'v1', plural: 'secrets', namespaced: true },
  'v1/ConfigMap': { group: '', version: 'v1', plural: 'configmaps', namespaced: true },
  'v1/Service': { group: '', version: 'v1', plural: 'services', namespaced: true },
  'v1/Namespace': { group: '', version: 'v1', plural: 'namespaces', namespaced: false },
  'apps/v1/Deployment': { group: 'apps', version: 'v1', plural: 'deployments', namespaced: true },
  'postgresql.cnpg.io/v1/Cluster': {
    group: 'postgresql.cnpg.io',
    version: 'v1',
    plural: 'clusters',
    namespaced: true,
  },
  'postgresql.cnpg.io/v1/Pooler': {
    group: 'postgresql.cnpg.io',
    version: 'v1',
    plural: 'poolers',
    namespaced: true,
  },
  'postgresql.cnpg.io/v1/Backup': {
    group: 'postgresql.cnpg.io',
    version: 'v1',
    plural: 'backups',
    namespaced: true,
  },
  'barmancloud.cnpg.io/v1/ObjectStore': {
    group: 'barmancloud.cnpg.io',
    version: 'v1',
    plural: 'objectstores',
    namespaced: true,
  },
};

export function resourceOf(apiVersion: string, kind: string): ResourceInfo {
  const r = RESOURCES[`${apiVersion}/${kind}`];
  if (!r) throw new Error(`pgdr does not know the resource of ${apiVersion} ${kind}`);
  return r;
}

/** `clusters.postgresql.cnpg.io`, `deployments.apps/scale`, `secrets`: the names RBAC rules use. */
export function rbacResource(ref: Pick<ObjectRef, 'apiVersion' | 'kind'>, subresource?: string): string {
  const r = resourceOf(ref.apiVersion, ref.kind);
  return `${r.plural}${r.group ? `.${r.group}` : ''}${subresource ? `/${subresource}` : ''}`;
}

export const ref = (apiVersion: string, kind: string, namespace: string, name: string): ObjectRef => ({
  apiVersion,
  kind,
  namespace,
  name,
});

/** `Cluster goingdark-social/database-cnpg`, for messages. */
export const describeRef = (r: ObjectRef): string => `${r.kind} ${r.namespace}/${r.name}`;
