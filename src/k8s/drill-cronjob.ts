// A CronJob that runs `pgdr drill` inside the cluster on a schedule and reports to a webhook, with pgdr's
// config in a ConfigMap and the bucket credentials from the Secret the ObjectStore already uses.
import { stringify } from 'yaml';
import { type K8sObject, MANAGED_BY, type Manifest, type ManifestSource, meta } from './manifest-types.js';
import { PGDR_IMAGE, PGDR_IMAGE_UID } from './pgdr-image.js';
import { endpointCANote, uploadFields } from './upload-fields.js';

const CONFIG_DIR = '/etc/pgdr';
/** Restores land under TMPDIR: an emptyDir, so a drill never touches a persistent volume. */
const SCRATCH_DIR = '/var/lib/pgdr';

export interface DrillCronJobOptions {
  readonly namespace?: string | undefined;
  readonly name?: string | undefined;
}

/** The config the pod reads: the bucket only, credentials from the standard AWS_* variables. */
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

export function drillCronJobManifests(src: ManifestSource, opts: DrillCronJobOptions = {}): Manifest[] {
  const k = src.k8s;
  const image = k.drill.image ?? PGDR_IMAGE;
  const name = opts.name ?? `${k.cluster}-pgdr-drill`;
  const namespace = opts.namespace ?? k.namespace;
  const configMap: K8sObject = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: meta(name, namespace),
    data: { 'pgdr.yaml': stringify(podConfig(src.config)) },
  };
  const secretEnv = (envName: string, key: string) => ({
    name: envName,
    valueFrom: { secretKeyRef: { name: k.credentialsSecret.name, key } },
  });
  const hook = k.drill.webhook;
  const env = [
    secretEnv('AWS_ACCESS_KEY_ID', k.credentialsSecret.accessKeyIdKey),
    secretEnv('AWS_SECRET_ACCESS_KEY', k.credentialsSecret.secretAccessKeyKey),
    { name: 'PGDR_CONFIG', value: `${CONFIG_DIR}/pgdr.yaml` },
    { name: 'TMPDIR', value: SCRATCH_DIR },
    ...(hook === undefined
      ? []
      : 'url' in hook
        ? [{ name: 'PGDR_WEBHOOK', value: hook.url }]
        : [{ name: 'PGDR_WEBHOOK', valueFrom: { secretKeyRef: { name: hook.secret, key: hook.key } } }]),
  ];
  const labels = { ...MANAGED_BY, 'app.kubernetes.io/name': 'pgdr-drill' };
  const podSpec = {
    restartPolicy: 'Never',
    // The embedded PostgreSQL refuses to run as root, and needs its uid in the image's /etc/passwd.
    securityContext: {
      runAsNonRoot: true,
      runAsUser: PGDR_IMAGE_UID,
      runAsGroup: PGDR_IMAGE_UID,
      fsGroup: PGDR_IMAGE_UID,
    },
    containers: [
      {
        name: 'pgdr-drill',
        image,
        command: ['pgdr'],
        // $(VAR) is expanded by Kubernetes from the container's env, so the URL never sits in the args.
        args: ['drill', '--format', 'json', ...(hook ? ['--notify', '$(PGDR_WEBHOOK)'] : [])],
        env,
        volumeMounts: [
          { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
          { name: 'scratch', mountPath: SCRATCH_DIR },
        ],
      },
    ],
    volumes: [
      { name: 'config', configMap: { name } },
      { name: 'scratch', emptyDir: {} },
    ],
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
        'pgdr configuration read by the drill (no secrets: those come from the Secret).',
        ...endpointCANote(src.config.objectStore),
      ],
    },
    {
      object: cronJob,
      notes: [
        `Runs pgdr drill at "${k.drill.schedule}" (UTC) with credentials from Secret ${k.credentialsSecret.name}.`,
        k.drill.image === undefined
          ? `Image ${image}: build and push it with packaging/container, or set kubernetes.drill.image.`
          : `Image ${image} (kubernetes.drill.image): it must run pgdr as uid ${PGDR_IMAGE_UID}, listed in its /etc/passwd.`,
        ...(hook ? [] : ['No kubernetes.drill.webhook: the report only goes to the job log.']),
      ],
    },
  ];
}
