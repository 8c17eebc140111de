// Which Cluster a read-only `pgdr k8s` command looks at: the configuration's kubernetes: section, or, kubectl
// style, a Cluster named on the command line (`pgdr k8s status CLUSTER -n NS`), with no configuration file at
// all: its plugin entry leads to the ObjectStore, the ObjectStore to the bucket and its Secret.
import { loadConfig } from '../../config/load.js';
import type { PgdrConfig } from '../../config/types.js';
import { isPgdrError, PgdrError } from '../../errors.js';
import type { KubeApi } from '../../k8s/api/kube-api.js';
import type { ManifestSource } from '../../k8s/manifest-types.js';
import { manifestSource } from '../../k8s/manifests.js';
import { discoverCluster } from '../../k8s/runbook/cluster-discovery.js';
import { type Parsed, str } from '../args.js';
import { configFrom } from '../context.js';
import type { CliContext } from '../main.js';
import { connect } from './k8s-common.js';

export interface K8sTarget {
  readonly api: KubeApi;
  readonly config: PgdrConfig;
  readonly src: ManifestSource;
  /** How the Cluster was found, for the output's first line. */
  readonly via: string;
}

export const TARGET_USAGE_LINES = `  CLUSTER                    a Cluster to look at without a configuration file: its barman-cloud plugin
                             entry names the ObjectStore and serverName, the ObjectStore the bucket and Secret
  -n, --namespace NS         its namespace (default: kubernetes.namespace, else the kubeconfig context's, else
                             default)`;

export async function k8sTarget(
  p: Parsed,
  ctx: CliContext,
  command: string,
  cluster: string | undefined,
): Promise<K8sTarget> {
  const namespaceFlag = str(p, 'namespace');
  if (cluster === undefined) {
    let config: PgdrConfig;
    let src: ManifestSource;
    try {
      config = configFrom(p, ctx);
      src = manifestSource(config);
    } catch (e) {
      if (!isPgdrError(e, 'CONFIG_INVALID')) throw e;
      throw new PgdrError(e.code, e.message, {
        hint: `name the Cluster instead (no configuration needed): pgdr ${command} CLUSTER -n NAMESPACE; or ${e.hint ?? 'fix the configuration'}`,
      });
    }
    if (namespaceFlag) src = { ...src, k8s: { ...src.k8s, namespace: namespaceFlag } };
    return { api: await connect(p), config, src, via: `kubernetes: section of ${config.source}` };
  }
  const api = await connect(p);
  const namespace = namespaceOf(p, ctx, api);
  const d = await discoverCluster(api, namespace, cluster, ctx.signal);
  const config = bucketConfig(p, ctx, { ...d, where: `ObjectStore ${namespace}/${d.objectStore}` });
  // The file's names for the replica and recovered Clusters hold only when it describes this very Cluster.
  const named = config.kubernetes?.cluster === cluster ? config.kubernetes : undefined;
  const src: ManifestSource = {
    config,
    k8s: {
      namespace,
      cluster,
      objectStore: d.objectStore,
      // With inheritFromIAMRole there is no Secret: the name only appears in advice.
      credentialsSecret: d.credentialsSecret ?? {
        name: '(IAM role: no Secret)',
        accessKeyIdKey: '',
        secretAccessKeyKey: '',
      },
      applications: [],
      replicaCluster: named?.replicaCluster ?? `${cluster}-replica`,
      recoveredCluster: named?.recoveredCluster ?? `${cluster}-recovered`,
      instances: 1,
      drill: { schedule: '0 2 1 * *' },
    },
  };
  return {
    api,
    config,
    src,
    via: `Cluster ${namespace}/${cluster}: plugin entry -> ObjectStore ${d.objectStore}, serverName ${d.serverName}`,
  };
}

/** -n, else kubernetes.namespace of a configuration file that reads, else the context's, else `default`. */
export function namespaceOf(p: Parsed, ctx: CliContext, api: KubeApi): string {
  const flag = str(p, 'namespace');
  if (flag) return flag;
  let file: string | undefined;
  try {
    file = configFrom(p, ctx).kubernetes?.namespace;
  } catch {
    file = undefined;
  }
  return file ?? api.namespace ?? 'default';
}

/**
 * pgdr's configuration for a bucket found in the cluster: a configuration file, when there is one, gives the
 * store settings (region, timeouts); where the bucket is comes from the ObjectStore.
 */
export function bucketConfig(
  p: Parsed,
  ctx: CliContext,
  b: { destinationPath: string; endpointURL?: string | undefined; serverName: string; where: string },
): PgdrConfig {
  if (!b.destinationPath.startsWith('s3://'))
    throw new PgdrError('CONFIG_INVALID', `${b.where} has no s3:// destinationPath`, {
      hint: 'pgdr reads S3-compatible buckets (AWS, R2, MinIO); Azure and Google Cloud Storage are not supported',
    });
  return loadConfig({
    overrides: {
      configFile: str(p, 'config'),
      destinationPath: b.destinationPath,
      endpointURL: b.endpointURL,
      serverName: str(p, 'server-name') ?? b.serverName,
    },
    env: ctx.env,
    cwd: ctx.cwd,
    systemConfigFile: ctx.systemConfigFile,
  });
}
