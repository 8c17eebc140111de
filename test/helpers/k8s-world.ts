// The seed's Kubernetes world for the `pgdr k8s` runbook tests: namespace goingdark-social with Cluster
// database-cnpg, ObjectStore database-backup, Secret mastodon-walg-s3, the six Mastodon Deployments and the rw
// Pooler in a scripted API server; the ObjectStore points at a real s3rver bucket (mastovault) holding real
// barman-cloud backups of serverName database-cnpg. pgdr's own config has no credentials: every bucket read
// goes through the Secret.
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { buildBarmanBucket } from './barman-bucket.js';
import { type FakeKubeApi, healthyClusterStatus, startFakeKubeApi } from './fake-kube-api.js';
import type { TestPostgres } from './postgres.js';
import { pgdrRestore, stopPgCtl } from './restore-run.js';
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
  /** Rows of table pgdr_load once the last WAL was archived. */
  readonly finalRows: number;
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
    finalRows: b.finalRows,
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

/** The source Cluster, its ObjectStore (pointing at bucket) and the Secret the ObjectStore reads. */
export function putSourceCluster(
  api: FakeKubeApi,
  o: { destination: string; s3: S3rverHandle; spec?: Record<string, unknown>; secret?: string },
): void {
  const secret = o.secret ?? 'mastodon-walg-s3';
  api.put({
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'Cluster',
    metadata: { name: CLUSTER, namespace: NS },
    spec: {
      instances: 3,
      storage: { size: '20Gi' },
      ...o.spec,
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
        destinationPath: o.destination,
        endpointURL: o.s3.endpoint,
        s3Credentials: {
          accessKeyId: { name: secret, key: 'ACCESS_KEY_ID' },
          secretAccessKey: { name: secret, key: 'ACCESS_SECRET_KEY' },
        },
        wal: { compression: 'gzip' },
      },
      retentionPolicy: '14d',
    },
  });
  api.put({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: secret, namespace: NS },
    type: 'Opaque',
    data: { ACCESS_KEY_ID: b64(o.s3.accessKeyId), ACCESS_SECRET_KEY: b64(o.s3.secretAccessKey) },
  });
}

/** The seed's objects, as they would be in a running namespace. */
export function seedObjects(api: FakeKubeApi, bucket: K8sBucket): void {
  putSourceCluster(api, { destination: bucket.destination, s3: bucket.s3 });
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

type Obj = Record<string, unknown>;

/** The flags of `pgdr restore` for a Cluster's bootstrap.recovery.recoveryTarget. */
function restoreFlags(t: Obj | undefined): string[] {
  if (!t) return [];
  const flags: Record<string, string> = {
    targetTime: '--target-time',
    targetLSN: '--target-lsn',
    targetXID: '--target-xid',
    targetName: '--target-name',
    targetTLI: '--target-tli',
    backupID: '--backup-id',
  };
  const out: string[] = [];
  for (const [k, v] of Object.entries(t)) {
    if (flags[k]) out.push(flags[k], String(v));
    else if (k === 'targetImmediate' && v === true) out.push('--target-immediate');
    else if (k === 'exclusive' && v === true) out.push('--exclusive');
    else throw new Error(`restoringOperator: recoveryTarget.${k} is not mapped`);
  }
  return out;
}

export interface RestoringOperator {
  /** The ClusterScript prepare hook. */
  prepare(cluster: Obj): Promise<void>;
  /** What each recovery restored: the Cluster, the restore flags, the real server's port. */
  readonly restored: Array<{ cluster: string; flags: string[]; port: number }>;
  cleanup(): Promise<void>;
}

/**
 * The scripted operator's recovery, for real: `pgdr restore` of the bucket to the Cluster's recoveryTarget
 * (latest without one) into a real PostgreSQL, then what CloudNativePG sets up for the instance: the app role
 * whose password is in the `<cluster>-app` Secret (basic-auth: username, password, dbname), reachable only by
 * password over TCP (so a wrong password is refused), with read access to the recovered tables; and the pod
 * `<cluster>-1` whose 5432 is that server (the port-forward endpoint).
 */
export function restoringOperator(api: FakeKubeApi, bucket: K8sBucket, password: string): RestoringOperator {
  const dirs: string[] = [];
  const servers: Array<{ pgCtl: string; pgdata: string }> = [];
  const restored: RestoringOperator['restored'] = [];
  return {
    restored,
    async prepare(cluster) {
      const meta = cluster.metadata as { name: string; namespace: string };
      const recovery = ((cluster.spec as Obj).bootstrap as Obj | undefined)?.recovery as Obj | undefined;
      const flags = restoreFlags(recovery?.recoveryTarget as Obj | undefined);
      const parent = await mkdtemp(join(tmpdir(), 'pgdr-k8s-pod-'));
      dirs.push(parent);
      // The server runs as the postgres OS user, who must reach the data folder.
      await chmod(parent, 0o755);
      const r = await pgdrRestore(
        {
          endpoint: bucket.s3.endpoint,
          destination: bucket.destination,
          serverName: CLUSTER,
          accessKeyId: bucket.s3.accessKeyId,
          secretAccessKey: bucket.s3.secretAccessKey,
        },
        [join(parent, 'data'), ...flags],
      );
      if (!r.json?.server) throw new Error(`pgdr restore failed (${r.code}): ${r.stderr}`);
      const server = r.json.server;
      servers.push({ pgCtl: server.pgCtl, pgdata: server.pgdata });
      const client = new pg.Client({ connectionString: server.connectionString });
      await client.connect();
      try {
        await client.query(`CREATE ROLE app LOGIN PASSWORD '${password.replace(/'/g, "''")}'`);
        await client.query('GRANT pg_read_all_data TO app');
        await client.query('CREATE DATABASE app OWNER app');
        await writeFile(
          join(server.pgdata, 'pg_hba.conf'),
          [
            'local all all trust',
            'host all postgres 127.0.0.1/32 trust',
            'host all all 127.0.0.1/32 scram-sha-256',
            '',
          ].join('\n'),
        );
        await client.query('SELECT pg_reload_conf()');
      } finally {
        await client.end();
      }
      api.put(appSecret(meta.namespace, meta.name, password));
      api.setPod(meta.namespace, `${meta.name}-1`, { 5432: server.port });
      restored.push({ cluster: meta.name, flags, port: server.port });
    },
    async cleanup() {
      for (const s of servers.splice(0)) await stopPgCtl(s.pgCtl, s.pgdata).catch(() => undefined);
      for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
    },
  };
}

/** The `<cluster>-app` Secret CloudNativePG writes (basic-auth; the keys of its CreateSecret). */
export function appSecret(namespace: string, cluster: string, password: string): Obj {
  const b64 = (t: string) => Buffer.from(t, 'utf8').toString('base64');
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: `${cluster}-app`,
      namespace,
      labels: { 'cnpg.io/cluster': cluster, 'cnpg.io/userType': 'app' },
    },
    type: 'kubernetes.io/basic-auth',
    data: { username: b64('app'), user: b64('app'), password: b64(password), dbname: b64('app') },
  };
}
