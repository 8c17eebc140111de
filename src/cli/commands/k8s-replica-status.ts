import { ERRORS, PgdrError } from '../../errors.js';
import { ref } from '../../k8s/api/kube-api.js';
import { CNPG_API } from '../../k8s/manifest-types.js';
import { readObjectStore } from '../../k8s/runbook/cluster-bucket.js';
import { type ReplicaLag, replicaLag, replicaSource } from '../../k8s/runbook/replica-lag.js';
import { FORMAT_FLAG, oneOf, parse, positionals, STORE_FLAGS } from '../args.js';
import { STORE_USAGE } from '../context.js';
import type { CliContext, Command } from '../main.js';
import { json, line } from '../output.js';
import { connect, KUBE_FLAGS, KUBE_USAGE } from './k8s-common.js';
import { bucketConfig, k8sTarget, namespaceOf } from './k8s-target.js';
import { replicaStatusText } from './replica-status-format.js';

const NAME = 'k8s replica-status';

export const k8sReplicaStatus: Command = {
  name: NAME,
  summary: 'Kubernetes: replay lag of the replica Cluster against the bucket, healthy / lagging / stuck',
  usage: `Usage: pgdr k8s replica-status [CLUSTER] [-n NS] [--format table|json] [Kubernetes options]

Read-only. Measures the replica Cluster (CLUSTER, default kubernetes.replicaCluster) as pgdr replica status
measures a standby: its designated primary's replay position and last replayed commit (through a
port-forward, as the user of the credentials Secret CloudNativePG keeps) against the newest WAL of the
source's serverName in the bucket (read through the ObjectStore with its Secret).
Verdict: healthy, lagging (archived WAL not replayed yet) or stuck (the archive holds later WAL but the
replica cannot get past one segment, named). A replica fed from the object store alone has no WAL receiver:
pg_stat_wal_receiver is empty, and the output says so rather than calling it a fault.
Exit code 0 when healthy, 51 otherwise (as pgdr replica status), so monitoring can alert on it.

  CLUSTER                    the replica Cluster, without a configuration file: the externalClusters entry its
                             spec.replica.source names gives the ObjectStore and serverName it follows
  -n, --namespace NS         its namespace (default: kubernetes.namespace, else the kubeconfig context's, else
                             default)

${KUBE_USAGE}

${STORE_USAGE}`,
  run: replicaRun,
};

async function replicaRun(argv: string[], ctx: CliContext): Promise<number> {
  const p = parse(
    argv,
    { ...STORE_FLAGS, ...KUBE_FLAGS, ...FORMAT_FLAG, namespace: { type: 'string', short: 'n' } },
    NAME,
  );
  const [clusterArg] = positionals(p, NAME, 0, 1, 'CLUSTER');
  const format = oneOf(p, 'format', ['table', 'json'] as const, 'table', NAME);
  let lag: ReplicaLag;
  if (clusterArg === undefined) {
    const t = await k8sTarget(p, ctx, NAME, undefined);
    const k = t.src.k8s;
    const c = await t.api.get(ref(CNPG_API, 'Cluster', k.namespace, k.replicaCluster), {
      signal: ctx.signal,
    });
    if (!c)
      throw new PgdrError('NOT_FOUND', `replica Cluster ${k.namespace}/${k.replicaCluster} does not exist`, {
        hint: 'create one: pgdr k8s manifests replica-cluster | kubectl apply -f -; or name it: pgdr k8s replica-status CLUSTER',
      });
    lag = await replicaLag(t.api, t.config, c, ctx.signal);
  } else {
    const api = await connect(p);
    const namespace = namespaceOf(p, ctx, api);
    const c = await api.get(ref(CNPG_API, 'Cluster', namespace, clusterArg), { signal: ctx.signal });
    if (!c) throw new PgdrError('NOT_FOUND', `Cluster ${namespace}/${clusterArg} does not exist`);
    const source = replicaSource(c);
    const os = await readObjectStore(api, { namespace, objectStore: source.objectStore });
    const conf = (os.spec as { configuration?: { destinationPath?: unknown; endpointURL?: unknown } })
      ?.configuration;
    const config = bucketConfig(p, ctx, {
      destinationPath: typeof conf?.destinationPath === 'string' ? conf.destinationPath : '',
      endpointURL: typeof conf?.endpointURL === 'string' ? conf.endpointURL : undefined,
      serverName: source.serverName,
      where: `ObjectStore ${namespace}/${source.objectStore}`,
    });
    lag = await replicaLag(api, config, c, ctx.signal);
  }
  if (format === 'json') json(ctx, replicaLagJson(lag));
  else line(ctx, replicaLagText(lag));
  return lag.status.verdict === 'healthy' ? 0 : ERRORS.CHECKS_FAILED.exitCode;
}

export function replicaLagText(l: ReplicaLag): string {
  return [
    `Replica Cluster ${l.namespace}/${l.cluster} (pod ${l.pod}), following serverName ${l.serverName} through ObjectStore ${l.objectStore}`,
    replicaStatusText(l.status),
    `                      ${l.receiverNote}`,
  ].join('\n');
}

export function replicaLagJson(l: ReplicaLag): Record<string, unknown> {
  return {
    cluster: l.cluster,
    namespace: l.namespace,
    pod: l.pod,
    objectStore: l.objectStore,
    serverName: l.serverName,
    streaming: l.streaming,
    walReceiverNote: l.receiverNote,
    ...l.status,
  };
}
