// `pgdr k8s failback --option keep|original` against the scripted Kubernetes API and a real s3rver bucket
// written by barman-cloud: the seed's world after a recovery (Cluster database-cnpg-recovered, a ready primary
// archiving under its own serverName, whose folder in the bucket holds a real DONE backup and WAL). Covers the
// dry run (every manifest valid against the CRDs), keep, the confirmation rule, and original failing midway
// (the deletion denied by RBAC) then resumed by a rerun that reuses the completed Backup.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ERRORS } from '../../src/errors.js';
import { formatProblems } from '../../src/k8s/validate-crd.js';
import { copyPrefix } from '../helpers/bucket-copy.js';
import { runPgdr } from '../helpers/cli.js';
import { type FakeKubeApi, healthyClusterStatus, startFakeKubeApi } from '../helpers/fake-kube-api.js';
import {
  BUCKET,
  buildK8sBucket,
  CLUSTER,
  type K8sBucket,
  NS,
  ORIGINAL_REPLICAS,
  POOLER,
  PREFIX,
  RECOVERED,
  replicasNow,
  seedObjects,
  writeK8sConfig,
} from '../helpers/k8s-world.js';
import { registry } from '../unit/k8s-fixtures.js';

const CNPG = 'postgresql.cnpg.io/v1';
const PLUGIN = 'barman-cloud.cloudnative-pg.io';
type Obj = Record<string, unknown>;

describe('pgdr k8s failback', () => {
  let bucket: K8sBucket;
  let api: FakeKubeApi;
  let config: string;

  let dir: string | undefined;
  before(async () => {
    bucket = await buildK8sBucket();
    dir = await mkdtemp(join(tmpdir(), 'pgdr-k8s-failback-'));
    config = await writeK8sConfig(dir, bucket);
    // The recovered Cluster's archive: its own backup and WAL (a copy of the original's, as after a recovery
    // it holds the same data); and a -v2 left by an earlier failback, so the next one must be -v3.
    await copyPrefix(bucket.s3, BUCKET, `${PREFIX}/${CLUSTER}`, `${PREFIX}/${RECOVERED}`);
    await copyPrefix(bucket.s3, BUCKET, `${PREFIX}/${CLUSTER}`, `${PREFIX}/${CLUSTER}-v2`);
  });
  beforeEach(async () => {
    await api?.close();
    api = await startFakeKubeApi({ clusterScript: { mode: 'ready', stepMs: 50 } });
    api.backupScript = { mode: 'completed', backupId: bucket.backupId, stepMs: 50 };
    seedObjects(api, bucket);
    api.put({
      apiVersion: CNPG,
      kind: 'Cluster',
      metadata: { name: RECOVERED, namespace: NS, labels: { 'app.kubernetes.io/managed-by': 'pgdr' } },
      spec: {
        instances: 2,
        imageName: 'ghcr.io/cloudnative-pg/postgresql:15',
        postgresql: { parameters: { max_connections: '600' } },
        storage: { size: '30Gi' },
        bootstrap: {
          recovery: { source: 'backup-source', database: 'mastodon_production', owner: 'mastodon' },
        },
        plugins: [
          {
            name: PLUGIN,
            isWALArchiver: true,
            parameters: { barmanObjectName: 'database-backup', serverName: RECOVERED },
          },
        ],
      },
    });
    api.setStatus(CNPG, 'Cluster', NS, RECOVERED, healthyClusterStatus(RECOVERED, 2, 2));
  });
  after(async () => {
    await api?.close();
    await bucket?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const run = (...more: string[]) =>
    runPgdr([
      'k8s',
      'failback',
      ...more,
      '-c',
      config,
      '--kubeconfig',
      api.kubeconfig,
      '--poll-interval',
      '50ms',
    ]);
  const cluster = (name: string) => api.get(CNPG, 'Cluster', NS, name);
  const poolerTarget = () =>
    ((api.get(CNPG, 'Pooler', NS, POOLER)?.spec as Obj | undefined)?.cluster as { name: string } | undefined)
      ?.name;

  it('--dry-run prints every step and object, each valid against the CRDs, reading only the recovered Cluster', async () => {
    const r = await run('--option', 'original', '--dry-run', '-o', 'json');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      api.requests.map((x) => `${x.method} ${x.path}`),
      [`GET /apis/postgresql.cnpg.io/v1/namespaces/${NS}/clusters/${RECOVERED}`],
    );
    const plan = JSON.parse(r.stdout) as {
      steps: { id: string; plan: { manifest: Obj | null; patchOf: Obj | null }[] }[];
    };
    assert.deepEqual(
      plan.steps.map((s) => s.id),
      [
        'pre-checks',
        'confirm',
        'scale-down',
        'backup',
        'delete-original',
        'recreate',
        'wait',
        'verify',
        'switch',
        'scale-back',
      ],
    );
    const objects = plan.steps.flatMap((s) => s.plan).filter((i) => i.manifest);
    assert.equal(objects.length, 3, 'the Backup, the Cluster and the Pooler patch');
    for (const i of objects) {
      const v = registry().validate(i.manifest as Obj, i.patchOf ? { as: i.patchOf as never } : {});
      assert.deepEqual(formatProblems(v), [], JSON.stringify(i.manifest));
    }
    const recreated = objects.find((i) => (i.manifest as Obj).kind === 'Cluster')?.manifest as {
      spec: { instances: number; postgresql: Obj; bootstrap: { recovery: Obj } };
    };
    // Cloned from the recovered Cluster: what must match its data carries over.
    assert.equal(recreated.spec.instances, 2);
    assert.deepEqual(recreated.spec.postgresql, { parameters: { max_connections: '600' } });
    assert.equal(recreated.spec.bootstrap.recovery.database, 'mastodon_production');
    const text = await run('--option', 'keep', '--dry-run');
    assert.equal(text.code, 0, text.stderr);
    for (const id of ['pre-checks', 'point-applications', 'backup', 'check-archive'])
      assert.match(text.stdout, new RegExp(`\\[${id}\\]`));
  });

  it('keep: points the Pooler at the recovered Cluster, backs it up, checks the archive, says what is next', async () => {
    const r = await run('--option', 'keep', '-o', 'json');
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const v = JSON.parse(r.stdout) as {
      ok: boolean;
      backupId: string;
      serverName: string;
      next: string[];
      steps: { id: string; status: string }[];
    };
    assert.equal(v.ok, true);
    assert.deepEqual(
      v.steps.map((s) => `${s.id}:${s.status}`),
      ['pre-checks:pass', 'point-applications:pass', 'backup:pass', 'check-archive:pass'],
    );
    assert.equal(v.backupId, bucket.backupId);
    assert.equal(v.serverName, RECOVERED);
    assert.equal(poolerTarget(), RECOVERED);
    assert.equal(
      (
        (api.get(CNPG, 'Backup', NS, `${RECOVERED}-failback`)?.spec as Obj | undefined)?.cluster as
          | Obj
          | undefined
      )?.name,
      RECOVERED,
    );
    assert.ok(v.next.some((n) => n.includes(`${RECOVERED}-rw`) && n.includes(`${RECOVERED}-app`)));
    assert.ok(cluster(CLUSTER), 'keep never deletes the original Cluster');
  });

  it('keep fails closed when the backup is not in the bucket', async () => {
    api.backupScript = { mode: 'completed', backupId: '20200101T000000', stepMs: 50 };
    const r = await run('--option', 'keep', '-o', 'json');
    assert.equal(r.code, ERRORS.CATALOG_INVALID.exitCode, r.stderr);
    const v = JSON.parse(r.stdout) as { failure: { step: string; name: string; message: string } };
    assert.equal(v.failure.step, 'check-archive');
    assert.equal(v.failure.name, 'CATALOG_INVALID');
    assert.match(v.failure.message, /20200101T000000/);
  });

  it('a failed Backup stops the runbook, and a rerun refuses it until it is deleted', async () => {
    api.backupScript = { mode: 'failed', error: "can't upload: AccessDenied", stepMs: 50 };
    const r = await run('--option', 'keep', '-o', 'json');
    assert.equal(r.code, ERRORS.K8S_API.exitCode, r.stderr);
    const v = JSON.parse(r.stdout) as { failure: { step: string; message: string; hint: string } };
    assert.equal(v.failure.step, 'backup');
    assert.match(v.failure.message, /failed: can't upload: AccessDenied/);
    const again = await run('--option', 'keep', '-o', 'json');
    const w = JSON.parse(again.stdout) as { failure: { step: string; hint: string } };
    assert.equal(w.failure.step, 'backup');
    assert.match(w.failure.hint, new RegExp(`kubectl delete backup ${RECOVERED}-failback -n ${NS}`));
  });

  it('original refuses without a terminal and without --yes, changing nothing', async () => {
    const r = await run('--option', 'original');
    assert.equal(r.code, 25, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /FAILED at step confirm/);
    assert.ok(cluster(CLUSTER));
    assert.deepEqual(
      api.requests.filter((x) => x.method !== 'GET'),
      [],
    );
  });

  it('original: fails at the deletion (RBAC), then a rerun reuses the backup and finishes', async () => {
    const undeny = api.deny({ verb: 'delete', resource: 'clusters', name: CLUSTER });
    const first = await run('--option', 'original', '--yes', '-o', 'json');
    assert.notEqual(first.code, 0);
    const f = JSON.parse(first.stdout) as { failure: { step: string; name: string }; state: string[] };
    assert.equal(f.failure.step, 'delete-original');
    assert.equal(f.failure.name, 'K8S_FORBIDDEN');
    assert.ok(
      f.state.some((s) => /scaled to 0/.test(s)),
      f.state.join('\n'),
    );
    assert.equal(
      Object.values(replicasNow(api)).every((n) => n === 0),
      true,
    );
    assert.ok(cluster(CLUSTER), 'not deleted');
    undeny();
    const backups = () =>
      api.requests.filter((x) => x.method === 'POST' && x.path.includes('/backups')).length;
    assert.equal(backups(), 1);

    const second = await run('--option', 'original', '--yes');
    assert.equal(second.code, 0, `${second.stdout}\n${second.stderr}`);
    assert.equal(backups(), 1, 'the completed Backup of the first run is reused');
    assert.match(second.stdout, /an earlier run's backup is completed/);
    const posted = api.requests.find((x) => x.method === 'POST' && x.path.endsWith('/clusters'));
    const valid = registry().validate(posted?.body as Obj);
    assert.deepEqual(formatProblems(valid), [], JSON.stringify(posted?.body));
    const c = cluster(CLUSTER) as { metadata: { annotations: Obj }; spec: Obj };
    assert.equal(c.metadata.annotations['pgdr.io/failback-from'], RECOVERED);
    const spec = c.spec as {
      plugins: { parameters: Obj }[];
      bootstrap: { recovery: { recoveryTarget: Obj } };
      externalClusters: { plugin: { parameters: Obj } }[];
    };
    assert.equal(spec.plugins[0]?.parameters.serverName, `${CLUSTER}-v3`);
    assert.equal(spec.bootstrap.recovery.recoveryTarget.backupID, bucket.backupId);
    assert.equal(spec.externalClusters[0]?.plugin.parameters.serverName, RECOVERED);
    assert.deepEqual(replicasNow(api), ORIGINAL_REPLICAS);
    assert.equal(poolerTarget(), CLUSTER);
    assert.ok(cluster(RECOVERED), 'the recovered Cluster is never deleted');
    assert.match(second.stdout, new RegExp(`kubectl delete cluster ${RECOVERED} -n ${NS}`));

    // Once recreated, a rerun recognises it: no second backup, no deletion.
    const third = await run('--option', 'original', '--yes', '-o', 'json');
    assert.equal(third.code, 0, third.stderr);
    const t = JSON.parse(third.stdout) as { steps: { id: string; status: string }[] };
    for (const id of ['backup', 'delete-original', 'recreate'])
      assert.equal(t.steps.find((s) => s.id === id)?.status, 'skip', id);
    assert.equal(
      api.requests.filter((x) => x.method === 'DELETE' && x.path.includes('/clusters/')).length,
      2,
    );
  });
});
