// What `pgdr k8s support-bundle` collects, in the order the runbook's "getting help" section asks for it:
// the Cluster and its ObjectStores, the namespace's Backups, ScheduledBackups, Poolers and Events, the pods
// and logs of the operator, of the barman-cloud plugin and of each instance (postgres and the
// plugin-barman-cloud sidecar). A read the identity may not make (403) or of something absent (404) is
// listed in the manifest and the rest is still collected; only a bundle with nothing read at all fails.

import { stringify } from 'yaml';
import { PgdrError } from '../../errors.js';
import { type BundleFile, segment } from './bundle-tar.js';
import { KubeReadError, type RawKube } from './raw-kube.js';
import { redactObject, redactText } from './redact.js';

type Obj = Record<string, unknown>;

export interface CollectOptions {
  readonly namespace: string;
  readonly cluster: string;
  /** ObjectStores named by the configuration; those the Cluster's plugins name are added. */
  readonly objectStores: readonly string[];
  /** Only log lines newer than this (the API's sinceSeconds). */
  readonly sinceSeconds?: number | undefined;
  /** Each log keeps its last maxLogBytes. */
  readonly maxLogBytes: number;
  /** Files stop being added once the bundle holds this many bytes (uncompressed). */
  readonly maxBundleBytes: number;
  readonly progress: (text: string) => void;
  /** `pgdr k8s status --format json`, or a reason it could not run. */
  readonly status: () => Promise<{ json: string } | { error: string }>;
}

interface CollectedItem {
  readonly path: string;
  readonly what: string;
  readonly bytes: number;
  readonly truncated?: boolean;
}

interface SkippedItem {
  readonly what: string;
  /** HTTP status of the refusal (403, 404), 0 when there was no answer, absent for a local reason. */
  readonly status?: number;
  readonly reason: string;
}

export interface Collection {
  readonly files: BundleFile[];
  readonly collected: CollectedItem[];
  readonly skipped: SkippedItem[];
}

/** Label selectors of the operator's and the plugin's pods (their Helm charts and release manifests set them). */
const OPERATOR_SELECTOR = 'app.kubernetes.io/name=cloudnative-pg';
const PLUGIN_SELECTOR = 'app.kubernetes.io/name=plugin-barman-cloud';
/** Where both are installed by default: the namespace tried when pods may not be listed cluster-wide. */
const OPERATOR_NAMESPACE = 'cnpg-system';
const INSTANCE_CONTAINERS = ['postgres', 'plugin-barman-cloud'];
const MAX_LIST_BYTES = 32 * 1024 * 1024;

const CNPG = '/apis/postgresql.cnpg.io/v1/namespaces';
const BARMAN = '/apis/barmancloud.cnpg.io/v1/namespaces';

export async function collectBundle(kube: RawKube, o: CollectOptions): Promise<Collection> {
  const files: BundleFile[] = [];
  const collected: CollectedItem[] = [];
  const skipped: SkippedItem[] = [];
  let bytes = 0;
  const ns = encodeURIComponent(o.namespace);
  const add = (path: string, what: string, text: string, truncated = false): void => {
    const data = Buffer.from(redactText(text), 'utf8');
    if (bytes + data.length > o.maxBundleBytes) {
      skipped.push({ what, reason: `the bundle reached its size cap (${o.maxBundleBytes} bytes)` });
      return;
    }
    bytes += data.length;
    files.push({ path, data });
    collected.push({ path, what, bytes: data.length, ...(truncated ? { truncated } : {}) });
  };
  const yaml = (obj: unknown) => stringify(redactObject(obj), { lineWidth: 0 });
  const attempt = async <T>(what: string, fn: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await fn();
    } catch (e) {
      if (!(e instanceof KubeReadError)) throw e;
      skipped.push({ what, status: e.status, reason: redactText(e.message) });
      o.progress(`  skipped ${what}: ${e.status ? `HTTP ${e.status} ` : ''}${redactText(e.message)}`);
      return undefined;
    }
  };
  const list = async (what: string, path: string): Promise<Obj[] | undefined> => {
    const l = (await attempt(what, () => kube.getJson(path, MAX_LIST_BYTES))) as
      | { items?: unknown }
      | undefined;
    return l === undefined ? undefined : Array.isArray(l.items) ? (l.items as Obj[]) : [];
  };
  const nameOf = (obj: Obj) => String((obj.metadata as Obj | undefined)?.name ?? 'unnamed');
  const nsOf = (obj: Obj) => String((obj.metadata as Obj | undefined)?.namespace ?? '');

  o.progress(`Cluster ${o.namespace}/${o.cluster}`);
  const clusterWhat = `Cluster ${o.namespace}/${o.cluster}`;
  const cluster = (await attempt(clusterWhat, () =>
    kube.getJson(`${CNPG}/${ns}/clusters/${encodeURIComponent(o.cluster)}`, MAX_LIST_BYTES),
  )) as Obj | undefined;
  if (cluster) add(`clusters/${segment(o.cluster)}.yaml`, clusterWhat, yaml(cluster));

  const stores = new Set(o.objectStores);
  for (const n of objectStoresOf(cluster)) stores.add(n);
  for (const name of stores) {
    const what = `ObjectStore ${o.namespace}/${name}`;
    o.progress(what);
    const store = await attempt(what, () =>
      kube.getJson(`${BARMAN}/${ns}/objectstores/${encodeURIComponent(name)}`, MAX_LIST_BYTES),
    );
    if (store) add(`objectstores/${segment(name)}.yaml`, what, yaml(store));
  }

  for (const [plural, kind] of [
    ['backups', 'Backup'],
    ['scheduledbackups', 'ScheduledBackup'],
    ['poolers', 'Pooler'],
  ] as const) {
    o.progress(`${kind}s of namespace ${o.namespace}`);
    const items = await list(`${kind}s in ${o.namespace}`, `${CNPG}/${ns}/${plural}`);
    for (const item of items ?? [])
      add(`${plural}/${segment(nameOf(item))}.yaml`, `${kind} ${o.namespace}/${nameOf(item)}`, yaml(item));
  }

  o.progress(`Events of namespace ${o.namespace}`);
  const events = await list(`Events in ${o.namespace}`, `/api/v1/namespaces/${ns}/events`);
  if (events) add('events.yaml', `Events in ${o.namespace} (${events.length})`, yaml(sortEvents(events)));

  const logs = async (folder: string, pod: Obj, containers: readonly string[]) => {
    const where = `${nsOf(pod)}/${nameOf(pod)}`;
    add(`${folder}/${segment(nameOf(pod))}/pod.yaml`, `Pod ${where}`, yaml(pod));
    for (const c of containers) {
      const what = `log of container ${c} of pod ${where}`;
      const q = new URLSearchParams({ container: c });
      if (o.sinceSeconds) q.set('sinceSeconds', String(o.sinceSeconds));
      const path = `/api/v1/namespaces/${encodeURIComponent(nsOf(pod))}/pods/${encodeURIComponent(nameOf(pod))}/log?${q}`;
      const got = await attempt(what, () => kube.getTail(path, o.maxLogBytes));
      if (got)
        add(
          `${folder}/${segment(nameOf(pod))}/${segment(c)}.log`,
          what,
          got.body.toString('utf8'),
          got.truncated,
        );
    }
  };

  for (const [who, selector, folder] of [
    ['CloudNativePG operator', OPERATOR_SELECTOR, 'operator'],
    ['barman-cloud plugin', PLUGIN_SELECTOR, 'plugin'],
  ] as const) {
    o.progress(`${who} pods (${selector})`);
    const q = `labelSelector=${encodeURIComponent(selector)}`;
    let pods = await list(`${who} pods in all namespaces`, `/api/v1/pods?${q}`);
    // A namespaced Role cannot list pods cluster-wide: look where the operator is installed by default.
    pods ??= await list(
      `${who} pods in ${OPERATOR_NAMESPACE}`,
      `/api/v1/namespaces/${OPERATOR_NAMESPACE}/pods?${q}`,
    );
    if (pods && !pods.length)
      skipped.push({ what: `${who} pods`, status: 404, reason: `no pod is labelled ${selector}` });
    for (const pod of pods ?? []) await logs(`logs/${folder}`, pod, containersOf(pod));
  }

  o.progress(`instance pods of Cluster ${o.cluster}`);
  const sel = encodeURIComponent(`cnpg.io/cluster=${o.cluster}`);
  const instances = await list(
    `instance pods of ${o.cluster}`,
    `/api/v1/namespaces/${ns}/pods?labelSelector=${sel}`,
  );
  if (instances && !instances.length)
    skipped.push({
      what: `instance pods of ${o.cluster}`,
      status: 404,
      reason: `no pod is labelled cnpg.io/cluster=${o.cluster}`,
    });
  for (const pod of instances ?? []) {
    const present = containersOf(pod);
    await logs(
      'logs/instances',
      pod,
      INSTANCE_CONTAINERS.filter((c) => present.includes(c) || !present.length),
    );
  }

  const read = collected.length;
  o.progress('pgdr k8s status --format json');
  const status = await o.status();
  if ('json' in status) add('pgdr-status.json', 'pgdr k8s status --format json', status.json);
  else skipped.push({ what: 'pgdr k8s status --format json', reason: redactText(status.error) });
  if (read === 0)
    throw new PgdrError(
      'K8S_API',
      `nothing could be read from the Kubernetes API (${kube.where}) for the support bundle`,
      {
        hint: 'check the kubeconfig and the RBAC rules listed in pgdr k8s support-bundle --help',
        details: {
          skipped: skipped.map((s) => `${s.what}: ${s.status ? `HTTP ${s.status} ` : ''}${s.reason}`),
        },
      },
    );
  return { files, collected, skipped };
}

/** barmanObjectName of the Cluster's plugins and of its externalClusters' plugins. */
function objectStoresOf(cluster: Obj | undefined): string[] {
  const spec = (cluster?.spec as Obj | undefined) ?? {};
  const params = [
    ...((spec.plugins as Obj[] | undefined) ?? []).map((p) => p.parameters),
    ...((spec.externalClusters as Obj[] | undefined) ?? []).map(
      (e) => (e.plugin as Obj | undefined)?.parameters,
    ),
  ];
  return params
    .map((p) => (p as Obj | undefined)?.barmanObjectName)
    .filter((n): n is string => typeof n === 'string' && n !== '');
}

/** Containers and sidecars (restartable init containers) of a pod, by name. */
function containersOf(pod: Obj): string[] {
  const spec = (pod.spec as Obj | undefined) ?? {};
  return [
    ...((spec.initContainers as Obj[] | undefined) ?? []),
    ...((spec.containers as Obj[] | undefined) ?? []),
  ]
    .map((c) => c.name)
    .filter((n): n is string => typeof n === 'string');
}

function sortEvents(events: Obj[]): Obj[] {
  const at = (e: Obj) =>
    String(e.lastTimestamp ?? e.eventTime ?? (e.metadata as Obj | undefined)?.creationTimestamp ?? '');
  return [...events].sort((a, b) => at(a).localeCompare(at(b)));
}
