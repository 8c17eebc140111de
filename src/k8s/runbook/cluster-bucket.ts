// Opens the bucket the way the cluster sees it: destinationPath and endpointURL from the ObjectStore resource,
// credentials from the Secret it references. A pre-check with pgdr's own credentials would prove nothing about
// the ones the operator will use. The keys never leave this file: not printed, not in errors.
import type { ObjectStoreConfig, PgdrConfig } from '../../config/types.js';
import { PgdrError } from '../../errors.js';
import type { ObjectStore } from '../../storage/object-store.js';
import { openStore } from '../../storage/open-store.js';
import { type KubeApi, ref } from '../api/kube-api.js';
import { BARMAN_API, type K8sObject } from '../manifest-types.js';
import { type Obj, obj } from '../object-fields.js';

export interface ClusterBucket {
  readonly store: ObjectStore;
  readonly destinationPath: string;
  readonly endpointURL: string | undefined;
  /** Differences between the ObjectStore resource and pgdr's config, worth a warning. */
  readonly notes: readonly string[];
}

export interface BucketRefs {
  readonly namespace: string;
  readonly objectStore: string;
}

/** The ObjectStore resource, or NOT_FOUND naming what to create. */
export async function readObjectStore(api: KubeApi, r: BucketRefs): Promise<K8sObject> {
  const os = await api.get(ref(BARMAN_API, 'ObjectStore', r.namespace, r.objectStore));
  if (!os)
    throw new PgdrError('NOT_FOUND', `ObjectStore ${r.namespace}/${r.objectStore} does not exist`, {
      hint: 'create it first: pgdr k8s manifests objectstore | kubectl apply -f -',
    });
  return os;
}

export async function openClusterBucket(
  api: KubeApi,
  config: PgdrConfig,
  os: K8sObject,
): Promise<ClusterBucket> {
  const ns = os.metadata.namespace ?? '';
  const conf = obj(obj(os.spec).configuration);
  const destinationPath = typeof conf.destinationPath === 'string' ? conf.destinationPath : '';
  if (!destinationPath.startsWith('s3://'))
    throw new PgdrError(
      'CONFIG_INVALID',
      `ObjectStore ${ns}/${os.metadata.name} has no s3:// destinationPath`,
      {
        hint: 'pgdr reads S3-compatible buckets (AWS, R2, MinIO); Azure and Google Cloud Storage are not supported',
      },
    );
  const endpointURL = typeof conf.endpointURL === 'string' ? conf.endpointURL : undefined;
  const creds = obj(conf.s3Credentials);
  const idRef = obj(creds.accessKeyId);
  const keyRef = obj(creds.secretAccessKey);
  const notes: string[] = [];
  if (destinationPath !== config.objectStore.destinationPath)
    notes.push(
      `ObjectStore destinationPath ${destinationPath} differs from pgdr's ${config.objectStore.destinationPath}: the cluster's is used`,
    );
  let s3Credentials: ObjectStoreConfig['s3Credentials'];
  if (creds.inheritFromIAMRole === true) {
    notes.push('the ObjectStore uses an IAM role: pgdr checks the bucket with its own credentials instead');
    s3Credentials = config.objectStore.s3Credentials;
  } else {
    const accessKeyId = await secretValue(api, ns, idRef, 'accessKeyId');
    const secretAccessKey = await secretValue(api, ns, keyRef, 'secretAccessKey');
    s3Credentials = { accessKeyId, secretAccessKey };
  }
  const store = await openStore({
    ...config.objectStore,
    destinationPath,
    endpointURL,
    forcePathStyle: endpointURL !== undefined ? true : config.objectStore.forcePathStyle,
    s3Credentials,
  });
  return { store, destinationPath, endpointURL, notes };
}

async function secretValue(api: KubeApi, ns: string, r: Obj, field: string): Promise<string> {
  const name = typeof r.name === 'string' ? r.name : '';
  const key = typeof r.key === 'string' ? r.key : '';
  if (!name || !key)
    throw new PgdrError(
      'CONFIG_INVALID',
      `the ObjectStore's s3Credentials.${field} has no Secret name and key`,
    );
  const secret = await api.get(ref('v1', 'Secret', ns, name));
  if (!secret)
    throw new PgdrError('NOT_FOUND', `Secret ${ns}/${name} (the bucket credentials) does not exist`, {
      hint: `create it: kubectl create secret generic ${name} -n ${ns} --from-literal=${key}=...`,
    });
  const data = obj(secret.data);
  const value =
    typeof data[key] === 'string' ? Buffer.from(data[key] as string, 'base64').toString('utf8') : '';
  if (!value)
    throw new PgdrError('CONFIG_INVALID', `Secret ${ns}/${name} has no key ${key} (${field})`, {
      hint: `keys present: ${Object.keys(data).join(', ') || 'none'}`,
    });
  return value.trim();
}
