// `pgdr k8s status CLUSTER -n NS` with no configuration file, `kubectl pgdr` (the plugin bin, run directly) and
// `pgdr k8s replica-status` on a healthy, a lagging and a stuck replica Cluster. The scripted API server holds
// the source Cluster, its ObjectStore and Secret, and a replica Cluster whose designated primary's pod is a
// real PostgreSQL 17 hot standby following the bucket (pgdr replica create), reached through the port-forward;
// the primary archives into s3rver through pgdr wal archive. Also: a runbook's --dry-run reading the live
// source Cluster to clone it, and the configuration-only fallback when the API cannot be read.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/load.js';
import { openStore } from '../../src/storage/open-store.js';
import { archivingPrimary } from '../helpers/archiving-primary.js';
import { switchWalAndWait } from '../helpers/barman-bucket.js';
import { runPgdr } from '../helpers/cli.js';
import { type FakeKubeApi, healthyClusterStatus, startFakeKubeApi } from '../helpers/fake-kube-api.js';
import { CLUSTER, NS, putSourceCluster } from '../helpers/k8s-world.js';
import { q, until } from '../helpers/poll.js';
import type { TestPostgres } from '../helpers/postgres.js';
import { stopAllRestored, stopPgCtl } from '../helpers/restore-run.js';
import { type S3rverHandle, startS3rver } from '../helpers/s3rver.js';

const REPLICA = 'database-cnpg-replica';
const BUCKET = 'k8slag';
const PLUGIN = 'barman-cloud.cloudnative-pg.io';
const KUBECTL_PGDR = fileURLToPath(new URL('../../../bin/kubectl-pgdr', import.meta.url));
const PASSWORD = `pw-${randomBytes(9).toString('base64url')}`;
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** bin/kubectl-pgdr as kubectl runs a plugin: the executable itself, with the user's environment. */
const kubectlPgdr = (args: string[], env: NodeJS.ProcessEnv, cwd: string) =>
  runPgdr(args, {
    exe: KUBECTL_PGDR,
    cwd,
    env: { PATH: `${dirname(process.execPath)}:${process.env.PATH}`, ...env },
  });

describe('pgdr k8s status / replica-status against a replica Cluster following the bucket', () => {
  let s3: S3rverHandle;
  let root: string;
  /** A folder with no pgdr.yaml: the commands run without a configuration file. */
  let empty: string;
  let cfg: string;
  let primary: TestPostgres;
  let api: FakeKubeApi;
  let standby: { pgCtl: string; pgdata: string; connectionString: string };
  let deleted: string;

  const k8s = (args: string[], o: { config?: string } = {}) =>
    runPgdr(['k8s', ...args, '--kubeconfig', api.kubeconfig, ...(o.config ? ['-c', o.config] : [])], {
      cwd: empty,
      timeoutMs: 120_000,
    });
  const replicaStatus = async () => {
    const r = await k8s(['replica-status', REPLICA, '-n', NS, '--format', 'json']);
    assert.ok(r.code === 0 || r.code === 51, `${r.code} ${r.stdout} ${r.stderr}`);
    return { code: r.code, json: JSON.parse(r.stdout) as Record<string, unknown> & { verdict: string } };
  };
  const noSecretIn = (text: string) => {
    assert.ok(!text.includes(s3.secretAccessKey), 'the bucket secret key never appears');
    assert.ok(!text.includes(PASSWORD), 'the database password never appears');
    assert.ok(!text.includes(api.token), 'the API token never appears');
  };

  before(async () => {
    s3 = await startS3rver({ buckets: [BUCKET] });
    root = await fsp.mkdtemp(join(tmpdir(), 'pgdr-k8slag-'));
    await fsp.chmod(root, 0o755);
    empty = join(root, 'empty');
    await fsp.mkdir(empty);
    ({ primary, cfg } = await archivingPrimary({ s3, bucket: BUCKET, root, serverName: CLUSTER }));
    const r = await runPgdr(
      ['replica', 'create', join(root, 'standby'), '--config', cfg, '--format', 'json'],
      {
        env: { XDG_STATE_HOME: join(root, 'state') },
        timeoutMs: 300_000,
      },
    );
    assert.equal(r.code, 0, r.stderr);
    standby = JSON.parse(r.stdout);
    api = await startFakeKubeApi({ clusterScript: { mode: 'none' } });
    putSourceCluster(api, {
      destination: `s3://${BUCKET}/dr`,
      s3,
      spec: {
        imageName: 'ghcr.io/cloudnative-pg/postgresql:17.2',
        postgresql: { parameters: { max_connections: '600', shared_buffers: '2GB' } },
        resources: { requests: { cpu: '2', memory: '8Gi' } },
        storage: { size: '200Gi' },
        bootstrap: { initdb: { database: 'mastodon_production', owner: 'mastodon' } },
      },
    });
    api.put({
      apiVersion: 'postgresql.cnpg.io/v1',
      kind: 'Cluster',
      metadata: { name: REPLICA, namespace: NS },
      spec: {
        instances: 1,
        storage: { size: '200Gi' },
        enableSuperuserAccess: true,
        bootstrap: { recovery: { source: CLUSTER } },
        replica: { enabled: true, source: CLUSTER },
        plugins: [
          {
            name: PLUGIN,
            isWALArchiver: true,
            parameters: { barmanObjectName: 'database-backup', serverName: REPLICA },
          },
        ],
        externalClusters: [
          {
            name: CLUSTER,
            plugin: {
              name: PLUGIN,
              parameters: { barmanObjectName: 'database-backup', serverName: CLUSTER },
            },
          },
        ],
      },
    });
    api.setStatus('postgresql.cnpg.io/v1', 'Cluster', NS, REPLICA, healthyClusterStatus(REPLICA, 1, 1));
    // The superuser Secret CloudNativePG keeps with enableSuperuserAccess (the standby's auth is trust: the
    // test checks the login is the Secret's user, not its password).
    api.put({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: `${REPLICA}-superuser`, namespace: NS },
      type: 'kubernetes.io/basic-auth',
      data: { username: b64('postgres'), password: b64(PASSWORD), dbname: b64('*') },
    });
    api.setPod(NS, `${REPLICA}-1`, { 5432: Number(new URL(standby.connectionString).port) });
  });
  after(async () => {
    await api?.close();
    if (standby) await stopPgCtl(standby.pgCtl, standby.pgdata).catch(() => undefined);
    await stopAllRestored();
    await primary?.cleanup();
    await s3?.stop();
    if (root) await fsp.rm(root, { recursive: true, force: true });
  });

  it('k8s status CLUSTER -n NS with no configuration file: the ObjectStore through the plugin entry, the bucket through its Secret, the replica healthy', async () => {
    await primary.query('INSERT INTO t SELECT generate_series(101, 200)');
    await switchWalAndWait(primary);
    const s = await until('a healthy replica in k8s status', async () => {
      const r = await k8s(['status', CLUSTER, '-n', NS, '--format', 'json']);
      assert.ok(r.code === 0 || r.code === 50, `${r.code} ${r.stdout} ${r.stderr}`);
      const j = JSON.parse(r.stdout);
      return j.replicaLag?.verdict === 'healthy' ? { j, r } : undefined;
    });
    noSecretIn(s.r.stdout + s.r.stderr);
    assert.match(
      s.j.found,
      /Cluster goingdark-social\/database-cnpg: plugin entry -> ObjectStore database-backup, serverName database-cnpg/,
    );
    assert.equal(s.j.serverName, CLUSTER);
    assert.equal(s.j.bucket.backups.done, 1);
    assert.equal(s.j.bucketError, null);
    assert.deepEqual(
      s.j.clusters.map((c: { role: string; name: string; present: boolean }) => [c.role, c.name, c.present]),
      [
        ['source', CLUSTER, true],
        ['replica', REPLICA, true],
        ['recovered', `${CLUSTER}-recovered`, false],
      ],
    );
    assert.equal(s.j.replicaLag.walReceiver, null);
    assert.match(
      s.j.replicaLag.walReceiverNote,
      /pg_stat_wal_receiver is empty, as expected: .*object store only/,
    );
    assert.equal(s.j.replicaLag.pod, `${REPLICA}-1`);
    // The port-forward went to the replica's designated primary, through the API server.
    assert.ok(
      api.requests.some((x) => x.path.startsWith(`/api/v1/namespaces/${NS}/pods/${REPLICA}-1/portforward`)),
    );

    const table = await k8s(['status', CLUSTER, '-n', NS]);
    assert.ok(table.code === 0 || table.code === 50, table.stderr);
    assert.match(table.stdout, /verdict:\s+HEALTHY/);
    assert.match(
      table.stdout,
      /Replica Cluster goingdark-social\/database-cnpg-replica \(pod database-cnpg-replica-1\)/,
    );

    // Neither a configuration nor a Cluster: the error says how to name one.
    const none = await runPgdr(['k8s', 'status', '--kubeconfig', api.kubeconfig, '--format', 'json'], {
      cwd: empty,
    });
    assert.equal(none.code, 3, none.stderr);
    assert.match(JSON.parse(none.stdout).error.hint, /pgdr k8s status CLUSTER -n NAMESPACE/);
    const missing = await k8s(['status', 'nope', '-n', NS]);
    assert.equal(missing.code, 1, missing.stderr);
    assert.match(missing.stderr, /Cluster goingdark-social\/nope does not exist/);
  });

  it('kubectl pgdr: the plugin bin runs pgdr k8s, with KUBECONFIG and the context namespace as kubectl has them', async () => {
    const kc = join(root, 'kubeconfig-ns');
    const text = await fsp.readFile(api.kubeconfig, 'utf8');
    await fsp.writeFile(
      kc,
      text.replace('cluster: fake\n    user: pgdr', `cluster: fake\n    user: pgdr\n    namespace: ${NS}`),
    );
    const r = await kubectlPgdr(['status', CLUSTER, '--format', 'json'], { KUBECONFIG: kc }, empty);
    assert.ok(r.code === 0 || r.code === 50, `${r.code} ${r.stdout} ${r.stderr}`);
    assert.match(JSON.parse(r.stdout).found, /Cluster goingdark-social\/database-cnpg/);
    noSecretIn(r.stdout + r.stderr);
    const help = await kubectlPgdr(['--help'], {}, empty);
    assert.equal(help.code, 0, help.stderr);
    for (const c of ['status', 'replica-status', 'manifests', 'pitr', 'latest', 'promote', 'drill'])
      assert.match(help.stdout, new RegExp(`^  k8s ${c} `, 'm'));
  });

  it('k8s replica-status: lagging while replay is paused with archived WAL, stuck naming the segment once one is gone', async () => {
    const healthy = await replicaStatus();
    assert.equal(healthy.json.verdict, 'healthy');
    assert.equal(healthy.code, 0);
    const pauseState = async () =>
      (await q<{ s: string }>(standby.connectionString, 'SELECT pg_get_wal_replay_pause_state() AS s'))[0]!.s;
    // Paused, the standby calls no restore_command: nothing archived from now on is prefetched before the
    // deletion. It pauses at a record it has read, which the next archived segment brings.
    await q(standby.connectionString, 'SELECT pg_wal_replay_pause()');
    await primary.query('INSERT INTO t SELECT generate_series(201, 250)');
    await switchWalAndWait(primary);
    await until('replay paused', async () => ((await pauseState()) === 'paused' ? true : undefined));
    await primary.query('INSERT INTO t SELECT generate_series(251, 300)');
    deleted = await switchWalAndWait(primary);
    for (let i = 0; i < 2; i++) {
      await primary.query('INSERT INTO t SELECT generate_series(1, 10)');
      await switchWalAndWait(primary);
    }
    const lagging = await replicaStatus();
    assert.equal(lagging.json.verdict, 'lagging', JSON.stringify(lagging.json));
    assert.equal(lagging.code, 51);
    assert.ok(Number(lagging.json.unreplayedSegments) >= 2, JSON.stringify(lagging.json));

    const config = loadConfig({ overrides: { configFile: cfg }, env: {}, cwd: root });
    const store = await openStore(config.objectStore);
    try {
      const keys = (await store.list(`${CLUSTER}/wals/`)).objects
        .map((o) => o.key)
        .filter((k) => k.includes(deleted));
      assert.equal(keys.length, 1, keys.join(', '));
      await store.delete(keys);
    } finally {
      await store.close();
    }
    await q(standby.connectionString, 'SELECT pg_wal_replay_resume()');
    const stuck = await until('a stuck verdict', async () => {
      const s = await replicaStatus();
      return s.json.verdict === 'stuck' ? s : undefined;
    });
    assert.equal(stuck.json.stuckSegment, deleted);
    assert.equal(stuck.code, 51);
    const table = await k8s(['replica-status', REPLICA, '-n', NS]);
    assert.equal(table.code, 51);
    assert.match(table.stdout, new RegExp(`STUCK on segment ${deleted}`));
    assert.match(table.stdout, /pg_stat_wal_receiver is empty, as expected/);
    noSecretIn(table.stdout + table.stderr);
    // k8s status turns it into an error diagnosis, naming the segment.
    const st = await k8s(['status', CLUSTER, '-n', NS]);
    assert.equal(st.code, 51, st.stderr);
    assert.match(st.stdout, new RegExp(`ERROR database-cnpg-replica: replica stuck on segment ${deleted}`));
  });

  it('a runbook --dry-run reads the live source Cluster (and nothing else) and shows what it carries over; config-only without the API', async () => {
    const file = join(root, 'pgdr-k8s.yaml');
    await fsp.writeFile(
      file,
      [
        `serverName: ${CLUSTER}`,
        'objectStore:',
        `  destinationPath: s3://${BUCKET}/dr`,
        `  endpointURL: ${s3.endpoint}`,
        'kubernetes:',
        `  namespace: ${NS}`,
        `  cluster: ${CLUSTER}`,
        '  objectStore: database-backup',
        '  credentialsSecret: mastodon-walg-s3',
        '  storageSize: 20Gi',
        '',
      ].join('\n'),
    );
    const before = api.requests.length;
    const r = await k8s(['latest', '--dry-run'], { config: file });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      api.requests.slice(before).map((x) => `${x.method} ${x.path}`),
      [`GET /apis/postgresql.cnpg.io/v1/namespaces/${NS}/clusters/${CLUSTER}`],
    );
    assert.match(r.stdout, /the Kubernetes API is only read \(Cluster goingdark-social\/database-cnpg/);
    assert.match(r.stdout, /Carried over from Cluster goingdark-social\/database-cnpg \(live\)/);
    assert.match(r.stdout, /max_connections: "600"/);
    assert.match(r.stdout, /database: mastodon_production/);
    assert.match(r.stdout, /size: 200Gi/);
    assert.match(r.stdout, /instances: 3/);

    const dead = join(root, 'kubeconfig-dead');
    await fsp.writeFile(
      dead,
      (await fsp.readFile(api.kubeconfig, 'utf8')).replace(api.url, 'http://127.0.0.1:9'),
    );
    const off = await runPgdr(['k8s', 'latest', '--dry-run', '-c', file, '--kubeconfig', dead], {
      cwd: empty,
    });
    assert.equal(off.code, 0, off.stderr);
    assert.match(
      off.stdout,
      /Built from the configuration only \(the source Cluster could not be read: cannot reach the Kubernetes API/,
    );
    assert.match(off.stdout, /size: 20Gi/);
    assert.doesNotMatch(off.stdout, /max_connections: "600"/);
  });
});
