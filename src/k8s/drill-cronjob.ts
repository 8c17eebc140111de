// A CronJob that runs `pgdr k8s drill` inside the cluster on a schedule: the operator's own restore path (a
// throw-away recovery Cluster in a scratch namespace, verified, deleted), with the report kept in the bucket's
// drill history and sent to the webhook. It runs under its own ServiceAccount, granted exactly the API calls
// the drill makes (DRILL_RBAC); the scratch namespace is created here, so the drill never needs to create or
// delete namespaces.
import { stringify } from 'yaml';
import { drillRbacManifests } from './drill-rbac.js';
import { type K8sObject, MANAGED_BY, type Manifest, type ManifestSource, meta } from './manifest-types.js';
import { PGDR_CONFIG_DIR, PGDR_IMAGE, PGDR_IMAGE_UID, pgdrContainerParts } from './pgdr-image.js';
import { endpointCANote, uploadFields } from './upload-fields.js';

export interface DrillCronJobOptions {
  readonly namespace?: string | undefined;
  readonly name?: string | undefined;
}

/** The bucket part of the config a pod reads: credentials come from the ObjectStore's Secret. */
export function podConfig(config: ManifestSource['config']): Record<string, unknown> {
  const s = config.objectStore;
  const uploads = uploadFields(s);
  return {
    serverName: config.serverName,
    objectStore: {
      destinationPath: s.destinationPath,
      ...(s.endpointURL ? { endpointURL: s.endpointURL } : {}),
      region: s.region,
      forcePathStyle: s.forcePathStyle,
      wal: { compression: s.wal.compression, maxParallel: s.wal.maxParallel, ...uploads.wal },
      data: { compression: s.data.compression, jobs: s.data.jobs, ...uploads.data },
      ...uploads.top,
    },
    ...(config.retentionPolicy ? { retentionPolicy: config.retentionPolicy } : {}),
  };
}

/** The scratch namespace of the in-cluster drill (`pgdr k8s drill --namespace`). */
function drillNamespace(namespace: string): string {
  return `${namespace}-pgdr-drill`.slice(0, 63).replace(/-+$/, '');
}

export function drillCronJobManifests(src: ManifestSource, opts: DrillCronJobOptions = {}): Manifest[] {
  const k = src.k8s;
  const image = k.drill.image ?? PGDR_IMAGE;
  const name = opts.name ?? `${k.cluster}-pgdr-drill`;
  const namespace = opts.namespace ?? k.namespace;
  const scratch = drillNamespace(namespace);
  const config = {
    ...podConfig(src.config),
    kubernetes: {
      namespace,
      cluster: k.cluster,
      objectStore: k.objectStore,
      credentialsSecret: {
        name: k.credentialsSecret.name,
        accessKeyIdKey: k.credentialsSecret.accessKeyIdKey,
        secretAccessKeyKey: k.credentialsSecret.secretAccessKeyKey,
      },
      ...(k.postgresVersion ? { postgresVersion: k.postgresVersion } : {}),
      ...(k.imageName ? { imageName: k.imageName } : {}),
      ...(k.storageSize ? { storageSize: k.storageSize } : {}),
    },
  };
  const configMap: K8sObject = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: meta(name, namespace),
    data: { 'pgdr.yaml': stringify(config) },
  };
  const hook = k.drill.webhook;
  const env = [
    { name: 'PGDR_CONFIG', value: `${PGDR_CONFIG_DIR}/pgdr.yaml` },
    ...(hook === undefined
      ? []
      : 'url' in hook
        ? [{ name: 'PGDR_WEBHOOK', value: hook.url }]
        : [{ name: 'PGDR_WEBHOOK', valueFrom: { secretKeyRef: { name: hook.secret, key: hook.key } } }]),
  ];
  const labels = { ...MANAGED_BY, 'app.kubernetes.io/name': 'pgdr-drill' };
  const args = [
    'k8s',
    'drill',
    '--namespace',
    scratch,
    '--format',
    'json',
    ...(k.drill.preset ? ['--preset', k.drill.preset] : []),
    ...(k.drill.database ? ['--database', k.drill.database] : []),
    // $(VAR) is expanded by Kubernetes from the container's env, so the URL never sits in the args.
    ...(hook ? ['--notify', '$(PGDR_WEBHOOK)'] : []),
  ];
  const parts = pgdrContainerParts(name);
  const podSpec = {
    restartPolicy: 'Never',
    serviceAccountName: name,
    securityContext: { runAsNonRoot: true, runAsUser: PGDR_IMAGE_UID, runAsGroup: PGDR_IMAGE_UID },
    containers: [
      {
        name: 'pgdr-drill',
        image,
        command: ['pgdr'],
        args,
        env,
        ...parts.container,
      },
    ],
    volumes: parts.volumes,
  };
  const cronJob: K8sObject = {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: meta(name, namespace),
    spec: {
      schedule: k.drill.schedule,
      timeZone: 'Etc/UTC',
      concurrencyPolicy: 'Forbid',
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      jobTemplate: {
        spec: { backoffLimit: 0, template: { metadata: { labels }, spec: podSpec } },
      },
    },
  };
  return [
    {
      object: configMap,
      notes: [
        'pgdr configuration read by the drill (no secrets: it reads the bucket with the ObjectStore Secret).',
        ...endpointCANote(src.config.objectStore),
      ],
    },
    ...drillRbacManifests({ name, namespace, scratch, src }),
    {
      object: cronJob,
      notes: [
        `Runs pgdr k8s drill at "${k.drill.schedule}" (UTC): a recovery Cluster in ${scratch}, verified, deleted.`,
        k.drill.image === undefined
          ? `Image ${image}: build and push it with packaging/container, or set kubernetes.drill.image.`
          : `Image ${image} (kubernetes.drill.image): it must run pgdr as uid ${PGDR_IMAGE_UID}, listed in its /etc/passwd.`,
        ...(hook ? [] : ['No kubernetes.drill.webhook: the report goes to the job log and the bucket only.']),
      ],
    },
  ];
}
