// `pgdr k8s status CLUSTER -n NS` without a configuration file: everything pgdr needs is in the cluster. The
// Cluster's barman-cloud plugin entry names the ObjectStore (barmanObjectName) and the folder (serverName,
// default the Cluster's name); the ObjectStore names the bucket and the Secret with its credentials.
import { PgdrError } from '../../errors.js';
import { type KubeApi, ref } from '../api/kube-api.js';
import { BARMAN_PLUGIN, CNPG_API } from '../manifest-types.js';
import { obj, strOf } from '../object-fields.js';
import { readObjectStore } from './cluster-bucket.js';

export interface DiscoveredCluster {
  readonly namespace: string;
  readonly cluster: string;
  readonly objectStore: string;
  readonly serverName: string;
  readonly destinationPath: string;
  readonly endpointURL?: string | undefined;
  /** The Secret and keys of the ObjectStore's s3Credentials (absent with inheritFromIAMRole). */
  readonly credentialsSecret?:
    | { name: string; accessKeyIdKey: string; secretAccessKeyKey: string }
    | undefined;
}

export async function discoverCluster(
  api: KubeApi,
  namespace: string,
  cluster: string,
  signal?: AbortSignal,
): Promise<DiscoveredCluster> {
  const c = await api.get(ref(CNPG_API, 'Cluster', namespace, cluster), { signal });
  if (!c)
    throw new PgdrError('NOT_FOUND', `Cluster ${namespace}/${cluster} does not exist`, {
      hint: `kubectl get clusters.postgresql.cnpg.io -n ${namespace} lists the Clusters there (-n NS for another namespace)`,
    });
  const plugins = Array.isArray(obj(c.spec).plugins) ? (obj(c.spec).plugins as unknown[]).map(obj) : [];
  const entry =
    plugins.find((p) => p.name === BARMAN_PLUGIN && p.isWALArchiver === true) ??
    plugins.find((p) => p.name === BARMAN_PLUGIN);
  const params = obj(entry?.parameters);
  const objectStore = strOf(params.barmanObjectName);
  if (!objectStore)
    throw new PgdrError(
      'CONFIG_INVALID',
      `Cluster ${namespace}/${cluster} has no ${BARMAN_PLUGIN} plugin entry with barmanObjectName: it does not archive through an ObjectStore`,
      { hint: 'add one: pgdr k8s manifests cluster-plugin (or give a configuration file with --config)' },
    );
  const os = await readObjectStore(api, { namespace, objectStore });
  const conf = obj(obj(os.spec).configuration);
  const creds = obj(conf.s3Credentials);
  const id = obj(creds.accessKeyId);
  const key = obj(creds.secretAccessKey);
  const secretName = strOf(id.name);
  return {
    namespace,
    cluster,
    objectStore,
    serverName: strOf(params.serverName) ?? cluster,
    destinationPath: strOf(conf.destinationPath) ?? '',
    endpointURL: strOf(conf.endpointURL),
    credentialsSecret: secretName
      ? {
          name: secretName,
          accessKeyIdKey: strOf(id.key) ?? 'ACCESS_KEY_ID',
          secretAccessKeyKey: strOf(key.key) ?? 'ACCESS_SECRET_KEY',
        }
      : undefined,
  };
}
