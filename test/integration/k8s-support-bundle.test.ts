// `pgdr k8s support-bundle` end to end: the real CLI against the scripted Kubernetes API (the seed's namespace
// plus operator, plugin and instance pods with logs, Events, Backups) and a real s3rver bucket for the status
// report. The bundle is unpacked with the system tar; credentials planted in a log line, a pod's env and an
// ObjectStore's inline credentials, and the bucket Secret's own values, must appear in no file.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runPgdr } from '../helpers/cli.js';
import { type FakeKubeApi, startFakeKubeApi } from '../helpers/fake-kube-api.js';
import {
  BUCKET,
  CLUSTER,
  type K8sBucket,
  NS,
  POOLER,
  PREFIX,
  seedObjects,
  writeK8sConfig,
} from '../helpers/k8s-world.js';
import { type S3rverHandle, startS3rver } from '../helpers/s3rver.js';

const OPERATOR_POD = 'cnpg-controller-manager-7d9f-abcde';
const PLUGIN_POD = 'barman-cloud-5c6b-xyz12';
/** Values that must never reach the bundle, each planted in a different place. */
const PLANTED = {
  logConnection: 'LogConnPw-9f3k2',
  logPassword: 'LogKvPw-2m8x1',
  logAwsKey: 'AKIAPLANTEDKEY00001',
  logJsonSecret: 'LogJsonSecret-7q4w',
  envPassword: 'EnvPgPassword-3n5b',
  envAwsSecret: 'EnvAwsSecret-8h2j',
  inlineKey: 'InlineObjStoreKey-6t1c',
  inlineId: 'AKIAINLINEKEY000002',
  inlineAzureKey: 'InlineAzureStorageKey-4v9p',
  logAzureKey: 'LogAzureAccountKey-1z7r',
};

type Obj = Record<string, unknown>;

function plant(api: FakeKubeApi): void {
  const cluster = api.get('postgresql.cnpg.io/v1', 'Cluster', NS, CLUSTER) as Obj;
  const spec = cluster.spec as Obj;
  // An older ObjectStore the Cluster still reads from, written with inline values instead of Secret references.
  api.put({
    ...cluster,
    spec: {
      ...spec,
      externalClusters: [
        {
          name: 'origin',
          plugin: {
            name: 'barman-cloud.cloudnative-pg.io',
            parameters: { barmanObjectName: 'old-backup', serverName: 'old' },
          },
        },
      ],
    },
  });
  api.put({
    apiVersion: 'barmancloud.cnpg.io/v1',
    kind: 'ObjectStore',
    metadata: { name: 'old-backup', namespace: NS },
    spec: {
      configuration: {
        destinationPath: 's3://old/cnpg',
        // A field whose name says nothing: only being under *Credentials marks it.
        azureCredentials: {
          storageKey: PLANTED.inlineAzureKey,
          storageAccount: { name: 'old-creds', key: 'ACCOUNT' },
        },
        s3Credentials: {
          accessKeyId: PLANTED.inlineId,
          secretAccessKey: PLANTED.inlineKey,
          region: { name: 'old-creds', key: 'REGION' },
        },
      },
    },
  });
  for (const i of [1, 2]) {
    const pod = `${CLUSTER}-${i}`;
    api.put({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: pod,
        namespace: NS,
        labels: { 'cnpg.io/cluster': CLUSTER, 'cnpg.io/instanceName': pod },
      },
      spec: {
        initContainers: [
          {
            name: 'plugin-barman-cloud',
            restartPolicy: 'Always',
            env: [{ name: 'AWS_SECRET_ACCESS_KEY', value: PLANTED.envAwsSecret }],
          },
        ],
        containers: [
          {
            name: 'postgres',
            env: [
              { name: 'PGPASSWORD', value: PLANTED.envPassword },
              { name: 'POD_NAME', value: pod },
            ],
          },
        ],
      },
    });
    api.setLog(NS, pod, 'postgres', [
      `{"level":"info","msg":"record","logger":"postgres","instance":"${pod}","record":"checkpoint complete"}`,
      `{"level":"info","msg":"connecting","dsn":"postgresql://app:${PLANTED.logConnection}@${CLUSTER}-rw:5432/app"}`,
      `{"level":"debug","msg":"env","line":"password=${PLANTED.logPassword} sslmode=require"}`,
      `{"level":"debug","msg":"azure","conn":"DefaultEndpointsProtocol=https;AccountName=x;AccountKey=${PLANTED.logAzureKey};EndpointSuffix=core.windows.net"}`,
    ]);
    api.setLog(NS, pod, 'plugin-barman-cloud', [
      `{"level":"info","msg":"Archived WAL file","walName":"00000001000000000000000${i}"}`,
      `{"level":"debug","msg":"credentials","accessKeyId":"${PLANTED.logAwsKey}","secretAccessKey":"${PLANTED.logJsonSecret}"}`,
    ]);
  }
  api.put({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: OPERATOR_POD,
      namespace: 'cnpg-system',
      labels: { 'app.kubernetes.io/name': 'cloudnative-pg' },
    },
    spec: { containers: [{ name: 'manager' }] },
  });
  api.setLog('cnpg-system', OPERATOR_POD, 'manager', [
    '{"level":"info","msg":"Reconciling Cluster","name":"database-cnpg"}',
  ]);
  api.put({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: PLUGIN_POD,
      namespace: 'cnpg-system',
      labels: { 'app.kubernetes.io/name': 'plugin-barman-cloud' },
    },
    spec: { containers: [{ name: 'barman-cloud' }] },
  });
  api.setLog('cnpg-system', PLUGIN_POD, 'barman-cloud', ['{"level":"info","msg":"Starting plugin"}']);
  api.put({
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'Backup',
    metadata: { name: `${CLUSTER}-20241215`, namespace: NS },
    spec: {
      cluster: { name: CLUSTER },
      method: 'plugin',
      pluginConfiguration: { name: 'barman-cloud.cloudnative-pg.io' },
    },
  });
  api.put({
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'ScheduledBackup',
    metadata: { name: `${CLUSTER}-daily`, namespace: NS },
    spec: { schedule: '0 0 3 * * *', cluster: { name: CLUSTER }, method: 'plugin' },
  });
  api.put({
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${CLUSTER}.17a`, namespace: NS },
    involvedObject: { kind: 'Cluster', name: CLUSTER, namespace: NS },
    reason: 'ArchiveFailed',
    message: 'WAL archiving failed',
    type: 'Warning',
    lastTimestamp: '2024-12-15T10:00:00Z',
  });
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true }))
    if (e.isFile()) out.push(join(e.parentPath, e.name));
  return out;
}

describe('pgdr k8s support-bundle', () => {
  let s3: S3rverHandle;
  let api: FakeKubeApi;
  let config: string;
  let dir: string;
  let secretValues: string[];

  before(async () => {
    s3 = await startS3rver({ buckets: [BUCKET] });
    const bucket = { s3, destination: `s3://${BUCKET}/${PREFIX}` } as unknown as K8sBucket;
    dir = await mkdtemp(join(tmpdir(), 'pgdr-bundle-'));
    config = await writeK8sConfig(dir, bucket);
    api = await startFakeKubeApi();
    seedObjects(api, bucket);
    plant(api);
    secretValues = [s3.secretAccessKey, api.token];
  });
  after(async () => {
    await api?.close();
    await s3?.stop();
    // It holds the store's credentials (pgdr.yaml) and the bundles: nothing of it stays on the machine.
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const bundle = async (name: string, extra: string[] = []) => {
    const out = join(dir, `${name}.tar.gz`);
    const r = await runPgdr([
      'k8s',
      'support-bundle',
      '--config',
      config,
      '--kubeconfig',
      api.kubeconfig,
      '--output',
      out,
      '--format',
      'json',
      ...extra,
    ]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const into = join(dir, name);
    execFileSync('mkdir', ['-p', into]);
    execFileSync('tar', ['-xzf', out, '-C', into]);
    const [top] = await readdir(into);
    const root = join(into, String(top));
    const files = (await filesUnder(root)).map((f) => relative(root, f)).sort();
    const manifest = JSON.parse(await readFile(join(root, 'manifest.json'), 'utf8'));
    return { r, root, files, manifest, summary: JSON.parse(r.stdout) };
  };

  it('holds every expected file, and no planted credential appears in any of them', async () => {
    const { root, files, manifest, summary } = await bundle('full');
    for (const f of [
      `clusters/${CLUSTER}.yaml`,
      'objectstores/database-backup.yaml',
      'objectstores/old-backup.yaml',
      `backups/${CLUSTER}-20241215.yaml`,
      `scheduledbackups/${CLUSTER}-daily.yaml`,
      `poolers/${POOLER}.yaml`,
      'events.yaml',
      `logs/operator/${OPERATOR_POD}/manager.log`,
      `logs/operator/${OPERATOR_POD}/pod.yaml`,
      `logs/plugin/${PLUGIN_POD}/barman-cloud.log`,
      `logs/instances/${CLUSTER}-1/postgres.log`,
      `logs/instances/${CLUSTER}-1/plugin-barman-cloud.log`,
      `logs/instances/${CLUSTER}-2/postgres.log`,
      `logs/instances/${CLUSTER}-2/plugin-barman-cloud.log`,
      `logs/instances/${CLUSTER}-1/pod.yaml`,
      'pgdr-status.json',
      'version.txt',
      'manifest.json',
    ])
      assert.ok(files.includes(f), `${f} missing; bundle has ${files.join(', ')}`);
    assert.deepEqual(manifest.skipped, []);
    assert.equal(summary.collected, manifest.collected.length);
    assert.ok(summary.path.endsWith('full.tar.gz'));
    const status = JSON.parse(await readFile(join(root, 'pgdr-status.json'), 'utf8'));
    assert.ok(Array.isArray(status.clusters), 'the status report is k8s status JSON');

    const planted = [...Object.values(PLANTED), ...secretValues];
    for (const f of files) {
      const text = await readFile(join(root, f), 'utf8');
      for (const v of planted) assert.ok(!text.includes(v), `${f} holds the planted credential ${v}`);
    }
    // What support needs stays: log lines, Secret references, the Events.
    const pg = await readFile(join(root, `logs/instances/${CLUSTER}-1/postgres.log`), 'utf8');
    assert.match(pg, /checkpoint complete/);
    assert.match(pg, new RegExp(`postgresql://app:<redacted>@${CLUSTER}-rw`));
    const sidecar = await readFile(join(root, `logs/instances/${CLUSTER}-2/plugin-barman-cloud.log`), 'utf8');
    assert.match(sidecar, /Archived WAL file/);
    const store = await readFile(join(root, 'objectstores/database-backup.yaml'), 'utf8');
    assert.match(store, /name: mastodon-walg-s3/);
    assert.match(store, /key: ACCESS_SECRET_KEY/);
    const old = await readFile(join(root, 'objectstores/old-backup.yaml'), 'utf8');
    assert.match(old, /key: REGION/);
    assert.match(old, /key: ACCOUNT/);
    assert.match(await readFile(join(root, 'events.yaml'), 'utf8'), /ArchiveFailed/);
    const podYaml = await readFile(join(root, `logs/instances/${CLUSTER}-1/pod.yaml`), 'utf8');
    assert.match(podYaml, /value: database-cnpg-1/);
  });

  it("a 403 on the operator's logs (and on listing pods cluster-wide) is listed; the bundle still succeeds", async () => {
    const undoLog = api.deny({
      verb: 'get',
      resource: 'pods/log',
      namespace: 'cnpg-system',
      name: OPERATOR_POD,
    });
    const undoList = api.deny({ verb: 'list', resource: 'pods', namespace: '' });
    try {
      const { files, manifest, summary } = await bundle('denied');
      const skipped = manifest.skipped as { what: string; status?: number }[];
      assert.ok(
        skipped.some(
          (s) => s.status === 403 && s.what === `log of container manager of pod cnpg-system/${OPERATOR_POD}`,
        ),
        JSON.stringify(skipped),
      );
      assert.ok(
        skipped.some((s) => s.status === 403 && /pods in all namespaces/.test(s.what)),
        JSON.stringify(skipped),
      );
      assert.deepEqual(summary.skipped, manifest.skipped);
      assert.ok(!files.includes(`logs/operator/${OPERATOR_POD}/manager.log`));
      // Found in cnpg-system instead of cluster-wide.
      assert.ok(files.includes(`logs/plugin/${PLUGIN_POD}/barman-cloud.log`), files.join(', '));
      assert.ok(files.includes(`logs/instances/${CLUSTER}-1/postgres.log`));
    } finally {
      undoLog();
      undoList();
    }
  });

  it('keeps the last 10 MiB of a log and, with --since, only the newer lines', async () => {
    const pod = `${CLUSTER}-2`;
    const filler = 'x'.repeat(1023);
    api.setLog(NS, pod, 'postgres', [
      { at: new Date(Date.now() - 3 * 3600_000), text: 'OLD-LINE from three hours ago' },
      'FIRST-RECENT-LINE',
      ...Array.from({ length: 11 * 1024 }, () => filler),
      'LAST-LINE',
    ]);
    const log = `logs/instances/${pod}/postgres.log`;
    const whole = await bundle('capped');
    const text = await readFile(join(whole.root, log), 'utf8');
    assert.equal(Buffer.byteLength(text), 10 * 1024 * 1024);
    assert.ok(text.endsWith('LAST-LINE\n') && !text.includes('FIRST-RECENT-LINE'));
    assert.deepEqual(whole.summary.truncatedLogs, [log]);
    api.setLog(NS, pod, 'postgres', [
      { at: new Date(Date.now() - 3 * 3600_000), text: 'OLD-LINE from three hours ago' },
      'RECENT-LINE',
    ]);
    const since = await bundle('since', ['--since', '1h']);
    assert.equal(await readFile(join(since.root, log), 'utf8'), 'RECENT-LINE\n');
    assert.equal(since.manifest.since, '1h');
  });

  it('fails with a JSON error when nothing can be read', async () => {
    const bad = join(dir, 'bad-kubeconfig');
    await writeFile(bad, (await readFile(api.kubeconfig, 'utf8')).replace(api.token, 'fake-wrong-token'));
    const r = await runPgdr([
      'k8s',
      'support-bundle',
      CLUSTER,
      '-n',
      NS,
      '--kubeconfig',
      bad,
      '--output',
      join(dir, 'none.tar.gz'),
      '--format',
      'json',
    ]);
    assert.notEqual(r.code, 0);
    assert.equal(JSON.parse(r.stdout).error.name, 'K8S_API');
    assert.ok(!r.stdout.includes(api.token) && !r.stderr.includes(api.token));
  });

  it('lists the RBAC rules it needs in its help', async () => {
    const r = await runPgdr(['k8s', 'support-bundle', '--help']);
    assert.equal(r.code, 0);
    for (const verb of [
      'get pods/log',
      'list events, pods',
      'list backups, scheduledbackups, poolers',
      'get clusters, objectstores',
    ])
      assert.ok(r.stdout.includes(verb), verb);
  });
});
