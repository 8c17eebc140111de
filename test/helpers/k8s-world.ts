// The seed's Kubernetes world for the `pgdr k8s` runbook tests: namespace goingdark-social with Cluster
// database-cnpg, ObjectStore database-backup, Secret mastodon-walg-s3, the six Mastodon Deployments and the rw
// Pooler in a scripted API server; the ObjectStore points at a real s3rver bucket (mastovault) holding real
// barman-cloud backups of serverName database-cnpg. pgdr's own config has no credentials: every bucket read
// goes through the Secret.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildBarmanBucket } from './barman-bucket.js';
import { type FakeKubeApi, healthyClusterStatus, startFakeKubeApi } from './fake-kube-api.js';
import type { TestPostgres } from './postgres.js';
import { type S3rverHandle, startS3rver } from './s3rver.js';

export const NS = 'goingdark-social';
export const CLUSTER = 'database-cnpg';
export const RECOVERED = 'database-cnpg-recovered';
export const POOLER = 'database-cnpg-pooler-rw';
export const BUCKET = 'mastovault';
export const PREFIX = 'cnpg/mastodon-database';
/** Distinct counts, so a restore to the wrong count (or to 1, as the seed does) shows. */
export const APPS: Readonly<Record<string, number>> = {
  'mastodon-web': 3,
  'mastodon-streaming': 2,
  'mastodon-sidekiq-default': 4,
  'mastodon-sidekiq-federation': 2,
  'mastodon-sidekiq-background': 1,
  'mastodon-sidekiq-scheduler': 1,
};
export const POOLER_INSTANCES = 2;

export interface K8sBucket {
  readonly s3: S3rverHandle;
  readonly destination: string;
  readonly backupId: string;
  /** The PostgreSQL that wrote the bucket, still running: a server for the runbooks' --connection checks. */
  readonly server: TestPostgres;
  close(): Promise<void>;
}

export async function buildK8sBucket(): Promise<K8sBucket> {
  const s3 = await startS3rver({ buckets: [BUCKET] });
  const b = await buildBarmanBucket({
    major: 15,
    s3,
    bucket: BUCKET,
    prefix: PREFIX,
    serverName: CLUSTER,
    backups: 1,
    keepRunning: true,
  });
  const server = b.server as TestPostgres;
  return {
    s3,
    destination: b.destination,
    backupId: b.backupIds[0]!,
    server,
    async close() {
      await server.cleanup();
      await s3.stop();
    },
  };
}

/** pgdr.yaml of the seed, pointed at the s3rver bucket, without credentials. */
export async function writeK8sConfig(dir: string, bucket: K8sBucket): Promise<string> {
  const file = join(dir, 'pgdr.yaml');
  await writeFile(
    file,
    [
      `serverName: ${CLUSTER}`,
      'objectStore:',
      `  destinationPath: ${bucket.destination}`,
      `  endpointURL: ${bucket.s3.endpoint}`,
      '  wal: { compression: gzip }',
      '  data: { compression: gzip }',
      'kubernetes:',
      `  namespace: ${NS}`,
      `  cluster: ${CLUSTER}`,
      '  objectStore: database-backup',
      '  credentialsSecret: mastodon-walg-s3',
      '  applications:',
      ...Object.keys(APPS).map((a) => `    - ${a}`),
      `  pooler: ${POOLER}`,
      '  postgresVersion: 15',
      '  storageSize: 20Gi',
      '',
    ].join('\n'),
  );
  return file;
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** The seed's objects, as they would be in a running namespace. */
export function seedObjects(api: FakeKubeApi, bucket: K8sBucket): void {
  api.put({
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'Cluster',
    metadata: { name: CLUSTER, namespace: NS },
    spec: {
      instances: 3,
      storage: { size: '20Gi' },
      plugins: [
        {
          name: 'barman-cloud.cloudnative-pg.io',
          isWALArchiver: true,
          parameters: { barmanObjectName: 'database-backup', serverName: CLUSTER },
        },
      ],
    },
  });
  api.setStatus('postgresql.cnpg.io/v1', 'Cluster', NS, CLUSTER, healthyClusterStatus(CLUSTER, 3, 1));
  api.put({
    apiVersion: 'barmancloud.cnpg.io/v1',
    kind: 'ObjectStore',
    metadata: { name: 'database-backup', namespace: NS },
    spec: {
      configuration: {
        destinationPath: bucket.destination,
        endpointURL: bucket.s3.endpoint,
        s3Credentials: {
          accessKeyId: { name: 'mastodon-walg-s3', key: 'ACCESS_KEY_ID' },
          secretAccessKey: { name: 'mastodon-walg-s3', key: 'ACCESS_SECRET_KEY' },
        },
        wal: { compression: 'gzip' },
      },
      retentionPolicy: '14d',
    },
  });
  api.put({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'mastodon-walg-s3', namespace: NS },
    type: 'Opaque',
    data: { ACCESS_KEY_ID: b64(bucket.s3.accessKeyId), ACCESS_SECRET_KEY: b64(bucket.s3.secretAccessKey) },
  });
  for (const [name, replicas] of Object.entries(APPS))
    api.put({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: NS, labels: { 'app.kubernetes.io/name': 'mastodon' } },
      spec: { replicas, selector: { matchLabels: { app: name } } },
      status: { replicas },
    });
  api.put({
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'Pooler',
    metadata: { name: POOLER, namespace: NS },
    spec: {
      cluster: { name: CLUSTER },
      instances: POOLER_INSTANCES,
      type: 'rw',
      pgbouncer: { poolMode: 'session' },
    },
  });
}

export async function startSeedApi(bucket: K8sBucket): Promise<FakeKubeApi> {
  const api = await startFakeKubeApi();
  seedObjects(api, bucket);
  return api;
}

/** Replica counts now: Deployment spec.replicas and the Pooler's spec.instances. */
export function replicasNow(api: FakeKubeApi): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of Object.keys(APPS))
    out[name] = Number((api.get('apps/v1', 'Deployment', NS, name)?.spec as { replicas?: number })?.replicas);
  const pooler = api.get('postgresql.cnpg.io/v1', 'Pooler', NS, POOLER)?.spec as { instances?: number };
  out[POOLER] = Number(pooler?.instances);
  return out;
}

export const ORIGINAL_REPLICAS: Readonly<Record<string, number>> = { ...APPS, [POOLER]: POOLER_INSTANCES };
