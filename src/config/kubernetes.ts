// Validates the `kubernetes:` section. Names are checked here, at load, because a bad one would only fail later,
// inside the cluster, halfway through a runbook.
import type { CredentialsSecret, DrillSchedule, KubernetesConfig, WebhookRef } from './kubernetes-types.js';
import type { Problems } from './validate.js';

type Raw = Record<string, unknown>;

const KEYS = [
  'namespace',
  'cluster',
  'objectStore',
  'credentialsSecret',
  'applications',
  'pooler',
  'replicaCluster',
  'recoveredCluster',
  'imageName',
  'postgresVersion',
  'instances',
  'storageSize',
  'drill',
];
// RFC 1123 label: what Kubernetes accepts for namespaces, Services (the Cluster's -rw/-ro) and Deployments.
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const QUANTITY = /^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|[kMGTPE])?$/;
const CRON5 = /^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|(\S+\s+){4}\S+)$/;

const isObject = (v: unknown): v is Raw => v !== null && typeof v === 'object' && !Array.isArray(v);

class Section {
  constructor(
    readonly raw: Raw,
    readonly path: string,
    readonly p: Problems,
  ) {}

  known(keys: readonly string[]): void {
    for (const k of Object.keys(this.raw))
      if (!keys.includes(k)) this.p.add(`${this.path}.${k}`, `unknown field (known: ${keys.join(', ')})`);
  }

  str(key: string, hint: string): string | undefined {
    const v = this.raw[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string' && v !== '') return v;
    this.p.add(`${this.path}.${key}`, `must be a non-empty string (${hint})`);
    return undefined;
  }

  /** A Kubernetes object name; `max` is lower for Clusters, whose pods and jobs append suffixes. */
  name(key: string, max = 63): string | undefined {
    const v = this.str(key, 'a Kubernetes name');
    if (v !== undefined && (!DNS_LABEL.test(v) || v.length > max)) {
      this.p.add(
        `${this.path}.${key}`,
        `must be a Kubernetes name: lower-case letters, digits and '-', at most ${max} characters (got '${v}')`,
      );
      return undefined;
    }
    return v;
  }

  int(key: string, min: number, max: number): number | undefined {
    const v = this.raw[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max) return v;
    this.p.add(`${this.path}.${key}`, `must be a whole number from ${min} to ${max}`);
    return undefined;
  }
}

export function buildKubernetes(
  raw: unknown,
  ctx: { readonly serverName?: string | undefined },
  p: Problems,
): KubernetesConfig | undefined {
  const path = 'kubernetes';
  if (!isObject(raw)) {
    p.add(path, 'must be a mapping (namespace, cluster, objectStore, credentialsSecret, applications, ...)');
    return undefined;
  }
  const s = new Section(raw, path, p);
  s.known(KEYS);
  const before = p.list.length;
  const namespace = s.name('namespace');
  if (raw.namespace === undefined) p.add(`${path}.namespace`, 'is required: the namespace of the Cluster');
  // 50: CloudNativePG derives pod, PVC and job names (`-1-full-recovery`) from the Cluster name.
  let cluster = s.name('cluster', 50);
  if (raw.cluster === undefined && ctx.serverName !== undefined) {
    cluster = ctx.serverName;
    if (!DNS_LABEL.test(cluster) || cluster.length > 50)
      p.add(`${path}.cluster`, `is required: serverName '${cluster}' is not a valid Cluster name`);
  }
  const objectStore = s.name('objectStore', 253);
  if (raw.objectStore === undefined)
    p.add(`${path}.objectStore`, 'is required: the name of the barmancloud.cnpg.io ObjectStore resource');
  const credentialsSecret = secret(raw.credentialsSecret, `${path}.credentialsSecret`, p);
  const applications = names(raw.applications, `${path}.applications`, p);
  const pooler = s.name('pooler');
  const replicaCluster = s.name('replicaCluster', 50);
  const recoveredCluster = s.name('recoveredCluster', 50);
  const imageName = s.str('imageName', 'e.g. ghcr.io/cloudnative-pg/postgresql:17');
  const postgresVersion = s.int('postgresVersion', 13, 99);
  if (imageName !== undefined && postgresVersion !== undefined)
    p.add(`${path}.postgresVersion`, 'give imageName or postgresVersion, not both');
  const instances = s.int('instances', 1, 99) ?? 1;
  const storageSize = s.str('storageSize', 'e.g. 50Gi');
  if (storageSize !== undefined && !QUANTITY.test(storageSize))
    p.add(`${path}.storageSize`, `must be a Kubernetes quantity such as 50Gi (got '${storageSize}')`);
  const drill = drillSection(raw.drill, `${path}.drill`, p);
  if (p.list.length > before || !namespace || !cluster || !objectStore || !credentialsSecret || !drill)
    return undefined;
  return {
    namespace,
    cluster,
    objectStore,
    credentialsSecret,
    applications,
    pooler,
    replicaCluster: replicaCluster ?? `${cluster}-replica`,
    recoveredCluster: recoveredCluster ?? `${cluster}-recovered`,
    imageName,
    postgresVersion,
    instances,
    storageSize,
    drill,
  };
}

function secret(raw: unknown, path: string, p: Problems): CredentialsSecret | undefined {
  const hint =
    'the Secret with the bucket credentials: a name, or {name, accessKeyIdKey, secretAccessKeyKey}';
  if (typeof raw === 'string') raw = { name: raw };
  if (!isObject(raw)) {
    p.add(path, raw === undefined || raw === null ? `is required: ${hint}` : `must be ${hint}`);
    return undefined;
  }
  const s = new Section(raw, path, p);
  s.known(['name', 'accessKeyIdKey', 'secretAccessKeyKey']);
  const name = s.name('name', 253);
  if (raw.name === undefined) p.add(`${path}.name`, 'is required: the Secret name');
  const accessKeyIdKey = s.str('accessKeyIdKey', 'a key of the Secret') ?? 'ACCESS_KEY_ID';
  const secretAccessKeyKey = s.str('secretAccessKeyKey', 'a key of the Secret') ?? 'ACCESS_SECRET_KEY';
  return name === undefined ? undefined : { name, accessKeyIdKey, secretAccessKeyKey };
}

function names(raw: unknown, path: string, p: Problems): string[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) {
    p.add(path, 'must be a list of Deployment names, e.g. [mastodon-web, mastodon-streaming]');
    return [];
  }
  raw.forEach((v, i) => {
    if (typeof v !== 'string' || !DNS_LABEL.test(v)) p.add(`${path}[${i}]`, 'must be a Deployment name');
  });
  if (new Set(raw).size !== raw.length) p.add(path, 'lists a Deployment twice');
  return raw.filter((v): v is string => typeof v === 'string');
}

function drillSection(raw: unknown, path: string, p: Problems): DrillSchedule | undefined {
  if (raw === undefined || raw === null) return { schedule: '0 2 1 * *' };
  if (!isObject(raw)) {
    p.add(path, 'must be a mapping (schedule, webhook, image, database, preset)');
    return undefined;
  }
  const s = new Section(raw, path, p);
  s.known(['schedule', 'webhook', 'image', 'database', 'preset']);
  const preset = s.str('preset', 'a verify preset');
  if (preset !== undefined && preset !== 'mastodon')
    p.add(`${path}.preset`, `must be mastodon (got '${preset}')`);
  const schedule = s.str('schedule', 'five-field cron') ?? '0 2 1 * *';
  if (!CRON5.test(schedule.trim()))
    p.add(`${path}.schedule`, `must be a five-field cron such as "0 2 1 * *" (got '${schedule}')`);
  const database = s.str('database', 'a database name');
  return {
    schedule,
    webhook: webhook(raw.webhook, `${path}.webhook`, p),
    image: s.str('image', 'an image'),
    ...(database === undefined ? {} : { database }),
    ...(preset === 'mastodon' ? { preset } : {}),
  };
}

function webhook(raw: unknown, path: string, p: Problems): WebhookRef | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw === 'string' && /^https?:\/\/[^/]+/.test(raw)) return { url: raw };
  if (isObject(raw) && typeof raw.secret === 'string' && typeof raw.key === 'string' && raw.secret !== '') {
    new Section(raw, path, p).known(['secret', 'key']);
    return { secret: raw.secret, key: raw.key };
  }
  p.add(path, 'must be an http(s) URL or {secret: NAME, key: KEY} (a Secret holding the URL)');
  return undefined;
}
