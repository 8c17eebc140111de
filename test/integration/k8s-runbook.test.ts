// `pgdr k8s pitr` / `pgdr k8s latest` end to end: the real CLI against a scripted Kubernetes API server on
// loopback (the seed's namespace, Cluster, ObjectStore, Secret, six Mastodon Deployments and the rw Pooler) and
// a real s3rver bucket written by barman-cloud, read with the Secret's credentials. Covers the whole PITR
// runbook with the replica counts restored, a Cluster that never becomes ready (then a rerun that finishes the
// job with the remembered counts), an RBAC denial halfway through the scale-down, and pre-check refusals.
// Verification without --connection goes through a port-forward (WebSocket, to the scripted API server) to a
// real PostgreSQL that the scripted operator restored from the bucket to the Cluster's target.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { inspectServer } from '../../src/engine/status.js';
import { switchWalAndWait } from '../helpers/barman-bucket.js';
import { bucketStore } from '../helpers/bucket-copy.js';
import { runPgdr, s3Env } from '../helpers/cli.js';
import { type FakeKubeApi, healthyClusterStatus, startFakeKubeApi } from '../helpers/fake-kube-api.js';
import {
  APPS,
  appSecret,
  BUCKET,
  buildK8sBucket,
  CLUSTER,
  type K8sBucket,
  NS,
  ORIGINAL_REPLICAS,
  POOLER,
  PREFIX,
  RECOVERED,
  type RestoringOperator,
  replicasNow,
  restoringOperator,
  seedObjects,
  writeK8sConfig,
} from '../helpers/k8s-world.js';
import { stopAllRestored } from '../helpers/restore-run.js';

const CNPG = 'postgresql.cnpg.io/v1';
type Obj = Record<string, unknown>;
const FAST = ['--poll-interval', '100ms'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The app role's password in the recovered Clusters' -app Secret: must never be printed. */
const APP_PASSWORD = `pw-${randomBytes(9).toString('base64url')}`;

describe('pgdr k8s runbooks and status against a scripted Kubernetes API', () => {
  let bucket: K8sBucket;
  let api: FakeKubeApi;
  let config: string;
  let targetTime: string;
  /** Between canary rows 1 and 2: a recovery to it holds exactly one canary row. */
  let canaryTime: string;
  /** A --checks file that only the data at canaryTime passes. */
  let canaryChecks: string;
  let operator: RestoringOperator | undefined;

  let dir: string | undefined;
  before(async () => {
    bucket = await buildK8sBucket();
    dir = await mkdtemp(join(tmpdir(), 'pgdr-k8s-'));
    config = await writeK8sConfig(dir, bucket);
    const src = bucket.server;
    await src.query('CREATE TABLE canary (id int PRIMARY KEY)');
    await src.query('INSERT INTO canary VALUES (1)');
    await sleep(1100);
    const [t] = await src.query<{ t: string }>(
      `SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS t`,
    );
    canaryTime = t!.t;
    await sleep(1100);
    await src.query('INSERT INTO canary VALUES (2)');
    await switchWalAndWait(src);
    canaryChecks = join(dir, 'checks.yaml');
    await writeFile(
      canaryChecks,
      [
        'checks:',
        '  - name: canary-rows',
        '    sql: SELECT count(*) FROM canary',
        '    equals: 1',
        '  - name: load-rows',
        '    sql: SELECT count(*) FROM pgdr_load',
        `    equals: ${bucket.finalRows}`,
        '',
      ].join('\n'),
    );
    // The bucket root as the store: the server folder is then PREFIX/CLUSTER.
    const store = bucketStore(bucket.s3, BUCKET);
    try {
      const s = await inspectServer({ store, serverName: `${PREFIX}/${CLUSTER}`, now: new Date() });
      const first = s.report.current?.firstRecoverabilityPoint?.time?.date;
      assert.ok(first, 'the bucket has a recovery window');
      targetTime = new Date(first.getTime() + 1000).toISOString().replace(/\.\d+Z$/, 'Z');
    } finally {
      await store.close();
    }
  });
  after(async () => {
    await api?.close();
    await operator?.cleanup();
    await stopAllRestored();
    await bucket?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await api?.close();
    await operator?.cleanup();
    operator = undefined;
    api = await startFakeKubeApi();
    seedObjects(api, bucket);
  });
  /** The scripted operator recovers for real: each recovery Cluster's pod is a restored PostgreSQL. */
  const recoverForReal = () => {
    operator = restoringOperator(api, bucket, APP_PASSWORD);
    api.clusterScript = { mode: 'ready', prepare: operator.prepare };
  };
  /** An operator that only writes the -app Secret (no pod behind it): enough to reach the port-forward. */
  const secretOnly = () => {
    api.clusterScript = {
      mode: 'ready',
      prepare: async (c) => {
        const m = c.metadata as { name: string; namespace: string };
        api.put(appSecret(m.namespace, m.name, APP_PASSWORD));
      },
    };
  };
  const forwards = () => api.requests.filter((r) => r.path.includes('/portforward'));

  const pgdr = (args: string[]) => runPgdr([...args, '-c', config, '--kubeconfig', api.kubeconfig]);
  const changes = () => api.requests.filter((r) => r.method !== 'GET');
  const noSecretIn = (text: string) => {
    assert.ok(!text.includes(bucket.s3.secretAccessKey), 'the secret key never appears');
    assert.ok(!text.includes(api.token), 'the API token never appears');
    assert.ok(!text.includes(APP_PASSWORD), 'the database password never appears');
  };

  it('--dry-run prints the full plan with the exact manifests and patches, and only reads the source Cluster', async () => {
    const r = await pgdr(['k8s', 'pitr', '--target-time', '2024-12-15 12:00:00', '--dry-run']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      api.requests.map((x) => `${x.method} ${x.path}`),
      [`GET /apis/postgresql.cnpg.io/v1/namespaces/${NS}/clusters/${CLUSTER}`],
    );
    assert.match(r.stdout, /Carried over from Cluster goingdark-social\/database-cnpg \(live\)/);
    for (const id of ['pre-checks', 'remember-replicas', 'scale-down', 'apply', 'wait', 'verify', 'switch'])
      assert.match(r.stdout, new RegExp(`\\[${id}\\]`));
    for (const app of Object.keys(APPS))
      assert.match(
        r.stdout,
        new RegExp(`PATCH deployments.apps/${app}/scale \\(merge patch\\): \\{"spec":\\{"replicas":0\\}\\}`),
      );
    assert.match(r.stdout, new RegExp(`poolers.postgresql.cnpg.io/${POOLER}/scale`));
    assert.match(r.stdout, /kind: Cluster\n\s+metadata:\n\s+name: database-cnpg-recovered/);
    assert.match(r.stdout, /targetTime: 2024-12-15T12:00:00Z/);
    assert.match(r.stdout, /serverName: database-cnpg\n/);
    assert.match(r.stdout, /kind: ConfigMap/);
  });

  it('runs the whole PITR runbook: scale down, recover, verify through a port-forward, switch, counts restored', async () => {
    recoverForReal();
    const r = await pgdr([
      'k8s',
      'pitr',
      '--target-time',
      canaryTime,
      '--switch',
      '--checks',
      canaryChecks,
      '--database',
      'postgres',
      ...FAST,
    ]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}\n${api.operatorErrors.join('\n')}`);
    noSecretIn(r.stdout + r.stderr);
    // The pod really is the bucket restored to the target, and the checks ran in it through the API server.
    assert.deepEqual(
      operator?.restored.map((x) => [x.cluster, x.flags]),
      [[RECOVERED, ['--target-time', canaryTime]]],
    );
    assert.ok(
      forwards().filter(
        (f) =>
          f.status === 101 &&
          f.path === `/api/v1/namespaces/${NS}/pods/${RECOVERED}-1/portforward?ports=5432`,
      ).length >= 2,
      'a probe, then one WebSocket per PostgreSQL connection',
    );
    assert.match(
      r.stdout,
      /database checks on pod goingdark-social\/database-cnpg-recovered-1 port 5432 \(port-forward through the Kubernetes API\), database postgres as app \(Secret database-cnpg-recovered-app\)/,
    );
    assert.match(
      r.stdout,
      /pass {2}connectivity: connected to postgresql:\/\/app:\*\*\*@127\.0\.0\.1:\d+\/postgres/,
    );
    assert.match(r.stdout, /pass {2}canary-rows: .*1/);
    assert.match(r.stdout, new RegExp(`pass {2}load-rows: .*${bucket.finalRows}`));
    assert.match(
      r.stdout,
      /\d+ checks on pod goingdark-social\/database-cnpg-recovered-1 port 5432 .*: \d+ passed/,
    );
    assert.doesNotMatch(r.stdout, /PARTIAL|warning: database checks not run/);
    assert.deepEqual(replicasNow(api), ORIGINAL_REPLICAS);
    // Every Deployment and the Pooler went to 0 before the recovery Cluster was created, and back after.
    const scales = changes().filter((c) => c.path.endsWith('/scale'));
    const created = changes().findIndex((c) => c.method === 'POST' && c.path.endsWith('/clusters'));
    const downs = scales.filter((c) => (c.body as { spec: { replicas: number } }).spec.replicas === 0);
    assert.equal(downs.length, 7);
    for (const d of downs)
      assert.ok(changes().indexOf(d) < created, `${d.path} scaled down before the Cluster`);
    for (const s of scales) assert.equal(s.contentType, 'application/merge-patch+json');
    const recovered = api.get(CNPG, 'Cluster', NS, RECOVERED) as {
      spec: { bootstrap: { recovery: { recoveryTarget: { targetTime: string } } } };
    };
    assert.equal(recovered.spec.bootstrap.recovery.recoveryTarget.targetTime, canaryTime);
    assert.deepEqual((api.get(CNPG, 'Pooler', NS, POOLER)?.spec as { cluster?: unknown })?.cluster, {
      name: RECOVERED,
    });
    assert.equal(
      api.get('v1', 'ConfigMap', NS, `${CLUSTER}-pgdr-replicas`),
      undefined,
      'the record is removed',
    );
    // The original Cluster is never patched nor deleted.
    assert.deepEqual(
      changes().filter((c) => c.path.includes(`/clusters/${CLUSTER}`)),
      [],
    );
    assert.match(r.stdout, /Timings \(RTO\):/);
    for (const id of ['pre-checks', 'remember-replicas', 'scale-down', 'apply', 'wait', 'verify', 'switch'])
      assert.match(r.stdout, new RegExp(`\\n\\s+${id}\\s+done\\s+\\d+\\.\\d s`));
    assert.match(
      r.stdout,
      /bucket s3:\/\/mastovault\/cnpg\/mastodon-database .*reachable with the Secret's credentials, 1 DONE backup/,
    );
    assert.match(
      r.stdout,
      /Cluster in healthy state, 3\/3 ready, primary database-cnpg-recovered-1, timeline 2/,
    );
    assert.match(r.stdout, /database-cnpg-recovered-rw\s+read-write/);
    assert.match(r.stdout, /metadata.name is immutable/);
  });

  it('a Cluster that never becomes ready: times out, reports the state, and a rerun finishes with the remembered counts', async () => {
    api.clusterScript = { mode: 'never-ready', stepMs: 50 };
    const r = await pgdr(['k8s', 'latest', '--timeout', '2s', ...FAST]);
    assert.equal(r.code, 61, `${r.stdout}\n${r.stderr}`);
    assert.match(
      r.stderr,
      /pgdr: error: Cluster goingdark-social\/database-cnpg-recovered not ready after 2 s: Setting up primary/,
    );
    assert.match(r.stdout, /FAILED at step wait/);
    assert.match(r.stdout, /\n\s+switch\s+not run/);
    assert.match(r.stdout, /Cluster database-cnpg \(the original\) was not modified/);
    assert.match(r.stdout, /Scaled down: mastodon-web=0 \(was 3\), mastodon-streaming=0 \(was 2\)/);
    assert.match(r.stdout, /Cluster database-cnpg-recovered: exists, Setting up primary/);
    assert.ok(Object.values(replicasNow(api)).every((n) => n === 0));
    assert.ok(api.get(CNPG, 'Cluster', NS, CLUSTER), 'the original Cluster is still there');

    // A rerun with another target must not pick up this Cluster.
    const other = await pgdr(['k8s', 'pitr', '--target-time', targetTime, ...FAST]);
    assert.equal(other.code, 20, `${other.stdout}\n${other.stderr}`);
    assert.match(other.stderr, /exists from an earlier run with another recovery target/);
    assert.match(other.stdout, /FAILED at step pre-checks/);

    // The operator gets there in the end; the rerun must not take the zeros for the counts to restore.
    // The recovery Cluster has the source's 3 instances (cloned from the live Cluster).
    api.setStatus(CNPG, 'Cluster', NS, RECOVERED, healthyClusterStatus(RECOVERED, 3));
    const again = await pgdr(['k8s', 'latest', '--switch', ...FAST]);
    assert.equal(again.code, 0, `${again.stdout}\n${again.stderr}`);
    assert.match(again.stdout, /already exists \(created by pgdr\): a rerun picks it up/);
    assert.match(again.stdout, /kept the counts remembered by an earlier run/);
    assert.deepEqual(replicasNow(api), ORIGINAL_REPLICAS);
  });

  it('an RBAC denial stops the runbook at the step, names the missing rule, and --scale-back undoes the rest', async () => {
    const allow = api.deny({
      verb: 'patch',
      resource: 'deployments/scale',
      namespace: NS,
      name: 'mastodon-sidekiq-default',
    });
    const r = await pgdr(['k8s', 'pitr', '--target-time', targetTime, ...FAST]);
    assert.equal(r.code, 60, `${r.stdout}\n${r.stderr}`);
    assert.match(
      r.stderr,
      /pgdr: error: forbidden: cannot patch deployments.apps\/scale in namespace goingdark-social \(deployments.apps "mastodon-sidekiq-default" is forbidden: User "system:serviceaccount:goingdark-social:pgdr" cannot patch resource "deployments\/scale"/,
    );
    assert.match(
      r.stderr,
      /hint: .*Role of namespace goingdark-social: \{apiGroups: \["apps"\], resources: \["deployments\/scale"\], verbs: \["patch"\]\}/,
    );
    assert.match(r.stdout, /FAILED at step scale-down/);
    assert.match(r.stdout, /Cluster database-cnpg-recovered: not created/);
    assert.equal(api.get(CNPG, 'Cluster', NS, RECOVERED), undefined);
    assert.equal(replicasNow(api)['mastodon-web'], 0);
    allow();
    const back = await pgdr(['k8s', 'pitr', '--scale-back']);
    assert.equal(back.code, 0, back.stderr);
    assert.deepEqual(replicasNow(api), ORIGINAL_REPLICAS);
  });

  it('pre-checks refuse before any change: a serverName without backups, a non-empty archive, a missing Secret', async () => {
    const wrong = await pgdr(['k8s', 'latest', '--server-name', 'mastodon-db', ...FAST]);
    assert.equal(wrong.code, 13, wrong.stderr);
    assert.match(wrong.stderr, /no backups or WAL for serverName 'mastodon-db'/);
    assert.match(wrong.stderr, /server names found under this path: database-cnpg/);

    const taken = await pgdr(['k8s', 'latest', '--archive-server-name', CLUSTER, ...FAST]);
    assert.equal(taken.code, 2, taken.stderr);
    const store = bucketStore(bucket.s3, BUCKET);
    try {
      await store.put(
        `${PREFIX}/${RECOVERED}/wals/0000000100000000/000000010000000000000001.gz`,
        Buffer.from('x'),
      );
    } finally {
      await store.close();
    }
    try {
      const full = await pgdr(['k8s', 'latest', ...FAST]);
      assert.equal(full.code, 22, full.stderr);
      assert.match(full.stderr, /serverName database-cnpg-recovered already holds data/);
      assert.match(full.stderr, /WAL archive check failed.*--archive-server-name database-cnpg-recovered-2/);
    } finally {
      const s = bucketStore(bucket.s3, BUCKET);
      await s.delete([`${PREFIX}/${RECOVERED}/wals/0000000100000000/000000010000000000000001.gz`]);
      await s.close();
    }

    api.remove('v1', 'Secret', NS, 'mastodon-walg-s3');
    const nosecret = await pgdr(['k8s', 'latest', ...FAST]);
    assert.equal(nosecret.code, 1, nosecret.stderr);
    assert.match(
      nosecret.stderr,
      /Secret goingdark-social\/mastodon-walg-s3 \(the bucket credentials\) does not exist/,
    );
    assert.deepEqual(changes(), [], 'no change was made by a refused run');
    noSecretIn(wrong.stdout + wrong.stderr + taken.stderr);
  });

  const putCluster = (name: string, spec: Record<string, unknown>, status: Record<string, unknown>) => {
    api.put({ apiVersion: CNPG, kind: 'Cluster', metadata: { name, namespace: NS }, spec });
    api.setStatus(CNPG, 'Cluster', NS, name, status);
  };
  const reads = (serverName: string) => ({
    instances: 1,
    externalClusters: [
      {
        name: 'backup-source',
        plugin: {
          name: 'barman-cloud.cloudnative-pg.io',
          parameters: { barmanObjectName: 'database-backup', serverName },
        },
      },
    ],
    plugins: [
      {
        name: 'barman-cloud.cloudnative-pg.io',
        isWALArchiver: true,
        parameters: { barmanObjectName: 'database-backup', serverName: RECOVERED },
      },
    ],
  });
  const condition = (type: string, status: string, reason: string, message: string) => ({
    type,
    status,
    reason,
    message,
  });

  it('status of a healthy seed: phase, instances, timeline, archiving, recovery window, no diagnosis', async () => {
    const r = await pgdr(['k8s', 'status']);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /source Cluster goingdark-social\/database-cnpg: Cluster in healthy state/);
    assert.match(r.stdout, /instances {3}3\/3 ready, primary database-cnpg-1, timeline 1/);
    assert.match(r.stdout, /archiving {3}serverName database-cnpg, ContinuousArchiving=True/);
    assert.match(r.stdout, /replica Cluster goingdark-social\/database-cnpg-replica: not present/);
    assert.match(r.stdout, /Recovery window per timeline:/);
    assert.match(r.stdout, /Diagnoses:\n {2}none/);
    assert.deepEqual(changes(), [], 'status changes nothing');
    noSecretIn(r.stdout + r.stderr);
  });

  it('status diagnoses a recovery stuck on a serverName without backups, a lagging replica, and the rename', async () => {
    putCluster(RECOVERED, reads('mastodon-db'), {
      phase: 'Setting up primary',
      instances: 1,
      readyInstances: 0,
      conditions: [condition('Ready', 'False', 'ClusterIsNotReady', 'Cluster Is Not Ready')],
    });
    putCluster(
      `${CLUSTER}-replica`,
      {
        instances: 1,
        replica: { enabled: true, source: CLUSTER },
        ...{ externalClusters: reads(CLUSTER).externalClusters },
      },
      { phase: 'Waiting for the instances to become active', instances: 1, readyInstances: 0 },
    );
    api.put({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `${CLUSTER}-pgdr-replicas`, namespace: NS },
      data: { 'Deployment.mastodon-web': '3' },
    });
    const r = await pgdr(['k8s', 'status']);
    assert.equal(r.code, 51, `${r.stdout}\n${r.stderr}`);
    assert.match(
      r.stdout,
      /ERROR database-cnpg-recovered: stuck in "Setting up primary": it recovers from serverName mastodon-db, which has no backups in the bucket\n\s+-> server names with backups: database-cnpg;/,
    );
    assert.match(
      r.stdout,
      /WARN {2}database-cnpg-replica: replica not catching up: Waiting for the instances to become active, 0\/1 ready/,
    );
    assert.match(
      r.stdout,
      /WARN {2}database-cnpg: applications scaled down by pgdr \(remembered: mastodon-web=3\)/,
    );
    assert.match(r.stdout, /INFO {2}database-cnpg-recovered: metadata.name is immutable/);
    assert.match(r.stdout, /point the applications at database-cnpg-recovered-rw/);
  });

  it('status diagnoses "WAL archive check failed" and proposes a free serverName', async () => {
    putCluster(RECOVERED, reads(CLUSTER), {
      phase: 'Setting up primary',
      instances: 1,
      readyInstances: 0,
      conditions: [
        condition(
          'ContinuousArchiving',
          'False',
          'ContinuousArchivingFailing',
          'unexpected failure invoking barman-cloud-wal-archive: WAL archive check failed for server database-cnpg-recovered: Expected empty archive',
        ),
      ],
    });
    const r = await pgdr(['k8s', 'status', '--format', 'json']);
    assert.equal(r.code, 51, r.stderr);
    const out = JSON.parse(r.stdout) as {
      diagnoses: { level: string; cluster: string; finding: string; advice: string }[];
    };
    const d = out.diagnoses.find((x) => x.finding.includes('WAL archive check failed'));
    assert.ok(d, r.stdout);
    assert.equal(d.level, 'error');
    assert.match(d.advice, /--archive-server-name database-cnpg-recovered-2/);
    assert.equal(out.diagnoses.filter((x) => /archiving is failing/.test(x.finding)).length, 0, 'said once');
  });

  it('status under RBAC that forbids reading Secrets says which rule is missing', async () => {
    api.deny({ verb: 'get', resource: 'secrets', namespace: NS });
    const r = await pgdr(['k8s', 'status']);
    assert.equal(r.code, 60, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, /forbidden: cannot get secrets in namespace goingdark-social/);
    assert.match(r.stderr, /\{apiGroups: \[""\], resources: \["secrets"\], verbs: \["get"\]\}/);
  });

  it('drill: a throw-away Cluster in a scratch namespace, verified, then everything it created deleted', async () => {
    const before = JSON.stringify([
      api.all('Deployment'),
      api.all('Pooler'),
      api.get(CNPG, 'Cluster', NS, CLUSTER),
    ]);
    const r = await pgdr([
      'k8s',
      'drill',
      '--connection',
      bucket.server.connectionString,
      '--no-amcheck',
      ...FAST,
    ]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    noSecretIn(r.stdout + r.stderr);
    const created = changes().filter((c) => c.method === 'POST');
    assert.deepEqual(
      created.map((c) => c.path),
      [
        '/api/v1/namespaces',
        `/api/v1/namespaces/${NS}-pgdr-drill/secrets`,
        `/apis/barmancloud.cnpg.io/v1/namespaces/${NS}-pgdr-drill/objectstores`,
        `/apis/postgresql.cnpg.io/v1/namespaces/${NS}-pgdr-drill/clusters`,
      ],
    );
    const body = created[3]?.body as { spec?: Record<string, unknown> } | undefined;
    assert.ok(body?.spec);
    assert.equal(body.spec.plugins, undefined, 'the drill Cluster archives nothing');
    assert.equal(
      api.all('Namespace').filter((n) => (n.metadata as { name: string }).name.endsWith('-pgdr-drill'))
        .length,
      0,
    );
    assert.equal(api.all('Cluster').length, 1, 'only the source Cluster is left');
    assert.equal(api.all('Secret').length, 1);
    assert.equal(
      JSON.stringify([api.all('Deployment'), api.all('Pooler'), api.get(CNPG, 'Cluster', NS, CLUSTER)]),
      before,
    );
    assert.match(r.stdout, /Drill PASSED: RTO \d+\.\d s/);
    assert.match(r.stdout, /\n\s+cleanup\s+done/);
  });

  it('drill CronJob: pgdr k8s drill as the CronJob runs it makes exactly the calls its Roles grant', async () => {
    recoverForReal();
    const m = await runPgdr(['k8s', 'manifests', 'drill-cronjob', '-o', 'json', '-c', config]);
    assert.equal(m.code, 0, m.stderr);
    type Rule = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] };
    type Item = Obj & { kind: string; metadata: { name: string; namespace?: string }; rules?: Rule[] };
    const items = (JSON.parse(m.stdout) as { items: Item[] }).items;
    // Applying the manifests creates the scratch namespace: the drill then only reads it.
    api.put(items.find((i) => i.kind === 'Namespace')!);
    const cron = items.find((i) => i.kind === 'CronJob') as unknown as {
      spec: { jobTemplate: { spec: { template: { spec: { containers: Array<{ args: string[] }> } } } } };
    };
    const args = cron.spec.jobTemplate.spec.template.spec.containers[0]!.args;
    assert.deepEqual(args.slice(0, 2), ['k8s', 'drill']);
    const from = api.requests.length;
    const r = await pgdr([...args, '--database', 'postgres', ...FAST]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}\n${api.operatorErrors.join('\n')}`);
    const out = JSON.parse(r.stdout) as {
      result: string;
      drill: { scenario: string; historyKey: string | null };
    };
    assert.equal(out.result, 'pass');
    assert.equal(out.drill.scenario, 'kubernetes');
    assert.match(
      out.drill.historyKey ?? '',
      /\/pgdr\/drills\/.+\.json$/,
      'kept in the bucket with the Secret',
    );
    const history = await runPgdr(['drill', 'history', '-c', config, '--format', 'json'], {
      env: s3Env(bucket.s3),
    });
    assert.equal(history.code, 0, history.stderr);
    assert.match(history.stdout, /"scenario": ?"kubernetes"/);

    // Every call the drill made, as RBAC sees it: verb, API group, resource, namespace, name.
    const calls = api.requests.slice(from).map((q) => {
      const u = new URL(q.path, 'http://x');
      const m2 =
        /^\/(?:api\/v1|apis\/([^/]+)\/[^/]+)(?:\/namespaces\/([^/]+))?\/([^/]+)(?:\/([^/]+))?(?:\/([^/]+))?$/.exec(
          u.pathname,
        );
      assert.ok(m2, q.path);
      const [, group = '', ns = '', res, name, sub] = m2;
      // /api/v1/namespaces/NAME: the namespace itself, cluster-scoped.
      const resource = ns && !res ? 'namespaces' : sub ? `${res}/${sub}` : res!;
      const verb =
        q.method === 'GET'
          ? q.status === 101
            ? 'create'
            : name
              ? 'get'
              : u.searchParams.get('watch') === 'true'
                ? 'watch'
                : 'list'
          : ({ POST: 'create', PATCH: 'patch', PUT: 'update', DELETE: 'delete' } as Record<string, string>)[
              q.method
            ]!;
      return { verb, group, resource, namespace: resource === 'namespaces' ? '' : ns, name: name ?? '' };
    });
    const rolesIn = (namespace: string) =>
      items
        .filter((i) =>
          namespace ? i.kind === 'Role' && i.metadata.namespace === namespace : i.kind === 'ClusterRole',
        )
        .flatMap((i) => i.rules ?? []);
    const allows = (rule: Rule, c: (typeof calls)[number]) =>
      rule.apiGroups.includes(c.group) &&
      rule.resources.includes(c.resource) &&
      rule.verbs.includes(c.verb) &&
      (rule.resourceNames === undefined || rule.resourceNames.includes(c.name));
    const denied = calls.filter((c) => !rolesIn(c.namespace).some((rule) => allows(rule, c)));
    assert.deepEqual(denied, [], 'every call is granted');
    // And nothing is granted that the drill did not use (a port-forward is authorized as create or as get).
    for (const i of items.filter((x) => x.kind === 'Role' || x.kind === 'ClusterRole')) {
      const ns = i.kind === 'Role' ? i.metadata.namespace! : '';
      for (const rule of i.rules ?? [])
        for (const verb of rule.verbs)
          for (const resource of rule.resources) {
            const used = calls.some(
              (c) =>
                c.namespace === ns &&
                c.resource === resource &&
                rule.apiGroups.includes(c.group) &&
                (c.verb === verb || (resource === 'pods/portforward' && c.verb === 'create')),
            );
            assert.ok(
              used,
              `${i.kind} ${i.metadata.name} in ${ns || 'the cluster'} grants ${verb} ${resource}: unused`,
            );
          }
    }
  });

  it('drill: a Cluster that never becomes ready fails, and the clean-up still deletes what the drill created', async () => {
    api.clusterScript = { mode: 'never-ready', stepMs: 50 };
    const r = await pgdr(['k8s', 'drill', '--timeout', '1s', ...FAST]);
    assert.equal(r.code, 61, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /FAILED at step wait/);
    assert.match(r.stdout, /\n\s+verify\s+not run/);
    assert.match(r.stdout, /\n\s+cleanup\s+done/);
    assert.match(r.stdout, /nothing the drill created is left/);
    assert.equal(api.all('Cluster').length, 1);
    assert.equal(api.all('Namespace').length, 1);
  });
  it('latest without the port-forward (RBAC 403): the status checks pass, a warning names the rule, the verification is partial', async () => {
    secretOnly();
    api.deny({ verb: 'create', resource: 'pods/portforward', namespace: NS });
    const r = await pgdr(['k8s', 'latest', '--preset', 'mastodon', ...FAST]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(
      r.stdout,
      /warning: database checks not run: forbidden: cannot create pods\/portforward in namespace goingdark-social/,
    );
    assert.match(r.stdout, /hint: .*resources: \["pods\/portforward"\], verbs: \["get", "create"\]/);
    assert.match(
      r.stdout,
      /done in \d+\.\d s: status: 3\/3 ready, primary database-cnpg-recovered-1, timeline 2; database checks NOT run \(forbidden: .*\): verification partial/,
    );
    assert.match(
      r.stdout,
      /Verification was PARTIAL: the Cluster's status checks passed, the database checks did not run/,
    );
    assert.deepEqual(
      forwards().map((f) => f.status),
      [403],
    );
    const json = await pgdr(['k8s', 'latest', '--format', 'json', ...FAST]);
    assert.equal(json.code, 0, json.stderr);
    const out = JSON.parse(json.stdout) as { verification: string; verificationGap: string };
    assert.equal(out.verification, 'partial');
    assert.match(out.verificationGap, /forbidden: cannot create pods\/portforward/);
  });

  it('latest whose Cluster has no credentials Secret: partial, and says which Secret is missing', async () => {
    const r = await pgdr(['k8s', 'latest', ...FAST]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(
      r.stdout,
      /warning: database checks not run: Secret goingdark-social\/database-cnpg-recovered-app \(the application credentials CloudNativePG creates for database-cnpg-recovered\) does not exist/,
    );
    assert.match(r.stdout, /Verification was PARTIAL/);
    assert.deepEqual(forwards(), [], 'no port-forward without credentials');
  });

  it('drill fails closed (exit 52) when the port-forward is forbidden, and still cleans up', async () => {
    secretOnly();
    api.deny({ verb: 'create', resource: 'pods/portforward' });
    const r = await pgdr(['k8s', 'drill', '--no-amcheck', ...FAST]);
    assert.equal(r.code, 52, `${r.stdout}\n${r.stderr}`);
    assert.match(
      r.stderr,
      /pgdr: error: the database checks cannot run: forbidden: cannot create pods\/portforward in namespace goingdark-social-pgdr-drill/,
    );
    assert.match(r.stderr, /hint: .*Role of namespace goingdark-social-pgdr-drill: .*"pods\/portforward"/);
    assert.match(r.stdout, /FAILED at step verify/);
    assert.match(r.stdout, /\n\s+cleanup\s+done/);
    assert.match(r.stdout, /Drill FAILED/);
    assert.doesNotMatch(r.stdout, /PASSED|immutable/);
    assert.equal(api.all('Cluster').length, 1, 'the drill Cluster is deleted');
    noSecretIn(r.stdout + r.stderr);
  });

  it('drill to a target through the port-forward: the recovered data passes the checks, the password is never shown', async () => {
    recoverForReal();
    const dry = await pgdr(['k8s', 'drill', '--target-time', canaryTime, '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, new RegExp(`targetTime: ${canaryTime}`));
    assert.doesNotMatch(dry.stdout, /immutable|rename/, 'no switch-over advice for a throw-away Cluster');
    const r = await pgdr([
      'k8s',
      'drill',
      '--target-time',
      canaryTime,
      '--checks',
      canaryChecks,
      '--database',
      'postgres',
      ...FAST,
    ]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}\n${api.operatorErrors.join('\n')}`);
    noSecretIn(r.stdout + r.stderr);
    assert.deepEqual(
      operator?.restored.map((x) => [x.cluster, x.flags]),
      [[`${CLUSTER}-drill`, ['--target-time', canaryTime]]],
    );
    assert.match(r.stdout, /pass {2}canary-rows: .*1/);
    assert.match(
      r.stdout,
      /checks on pod goingdark-social-pgdr-drill\/database-cnpg-drill-1 port 5432 .*: \d+ passed/,
    );
    assert.match(r.stdout, /Drill PASSED: RTO \d+\.\d s/);
    assert.doesNotMatch(r.stdout, /immutable|PARTIAL/);
  });
});
