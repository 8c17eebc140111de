// The source Cluster new Clusters are cloned from: a YAML file (--from-cluster, offline), else the live one
// read through the API. Without either the manifests are built from the configuration only, and say why.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { isPgdrError, localFileError, PgdrError } from '../../errors.js';
import { ref } from '../../k8s/api/kube-api.js';
import { CNPG_API, type K8sObject, type ManifestSource } from '../../k8s/manifest-types.js';
import type { SourceCluster } from '../../k8s/source-cluster.js';
import { type Parsed, str } from '../args.js';
import type { CliContext } from '../main.js';
import { connect } from './k8s-common.js';

/** At most this much YAML is read: a Cluster is a few KiB. */
const MAX_CLUSTER_FILE = 4 * 1024 * 1024;

export async function readClusterFile(path: string): Promise<SourceCluster> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw localFileError(e, path, 'read the source Cluster');
  }
  if (text.length > MAX_CLUSTER_FILE)
    throw new PgdrError('USAGE', `--from-cluster ${path} is larger than 4 MiB: not a Cluster manifest`);
  const docs = parseAllDocuments(text);
  const values: unknown[] = [];
  for (const d of Array.isArray(docs) ? docs : [docs]) {
    if (d.errors.length)
      throw new PgdrError(
        'USAGE',
        `--from-cluster ${path}: not valid YAML: ${d.errors[0]?.message.split('\n')[0]}`,
      );
    const v = d.toJS() as Record<string, unknown> | null;
    // `kubectl get clusters -o yaml` prints a List.
    if (v && v.kind === 'List' && Array.isArray(v.items)) values.push(...v.items);
    else if (v) values.push(v);
  }
  const clusters = values.filter(
    (v): v is K8sObject =>
      typeof v === 'object' &&
      v !== null &&
      (v as K8sObject).kind === 'Cluster' &&
      String((v as K8sObject).apiVersion).startsWith('postgresql.cnpg.io/') &&
      typeof (v as K8sObject).metadata?.name === 'string',
  );
  if (clusters.length !== 1)
    throw new PgdrError(
      'USAGE',
      `--from-cluster ${path} holds ${clusters.length} CloudNativePG Clusters: give the file of exactly one`,
      { hint: 'kubectl get cluster NAME -n NS -o yaml > cluster.yaml' },
    );
  const c = clusters[0] as K8sObject;
  return { object: c, origin: `file ${path} (Cluster ${c.metadata.name})` };
}

export function instancesFlag(p: Parsed, command: string): number | undefined {
  const v = str(p, 'instances');
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^[0-9]+$/.test(v) || n < 1 || n > 99)
    throw new PgdrError('USAGE', `${command}: --instances must be a whole number from 1 to 99 (got '${v}')`);
  return n;
}

/**
 * The runbooks' source: --from-cluster FILE, else the live Cluster (a read-only GET, also under --dry-run),
 * else the configuration only, with the reason. A missing source Cluster is not an error here: after a
 * complete loss it is gone, and the runbook's pre-checks speak for it.
 */
export async function sourceFor(p: Parsed, ctx: CliContext, src: ManifestSource): Promise<ManifestSource> {
  const file = str(p, 'from-cluster');
  if (file) return { ...src, from: await readClusterFile(resolve(ctx.cwd, file)) };
  const k = src.k8s;
  try {
    const api = await connect(p);
    const c = await api.get(ref(CNPG_API, 'Cluster', k.namespace, k.cluster), { signal: ctx.signal });
    if (c) return { ...src, from: { object: c, origin: `Cluster ${k.namespace}/${k.cluster} (live)` } };
    return { ...src, configOnly: `Cluster ${k.namespace}/${k.cluster} does not exist` };
  } catch (e) {
    if (isPgdrError(e, 'ABORTED')) throw e;
    return { ...src, configOnly: `the source Cluster could not be read: ${(e as Error).message}` };
  }
}

export const SOURCE_FLAGS = {
  'from-cluster': { type: 'string' },
  instances: { type: 'string' },
} as const;

export const SOURCE_USAGE = `  --from-cluster FILE        the source Cluster's YAML instead of the live one (read through the API, also with
                             --dry-run); the new Cluster takes its image, postgresql parameters and libraries,
                             resources, storage and walStorage, affinity, monitoring and application database.
                             Without either, from the configuration only (said in the plan)
  --instances N              instances of the new Cluster (default: the source's)`;

/** What --dry-run read from the API to build its plan, for the plan's first line. */
export function sourceReads(p: Parsed, src: ManifestSource): string | undefined {
  if (str(p, 'from-cluster')) return undefined;
  return `Cluster ${src.k8s.namespace}/${src.k8s.cluster}, the source the new Cluster is cloned from`;
}
