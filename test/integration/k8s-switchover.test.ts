// `pgdr k8s switchover --to CLUSTER` against the scripted Kubernetes API: two Clusters in the distributed
// topology; the current primary is demoted (replica.primary), its status.demotionToken promotes the other
// (the scripted operator promotes only with a token a demoted Cluster published), the new timeline is waited
// for, and the reverse command printed and run. Also: --dry-run, the confirmation rule of k8s promote, the
// refusals before any change, and a run that fails after the demotion, then resumes.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { runPgdr } from '../helpers/cli.js';
import { type FakeKubeApi, healthyClusterStatus, startFakeKubeApi } from '../helpers/fake-kube-api.js';

const NS = 'goingdark-social';
const CNPG = 'postgresql.cnpg.io/v1';
const A = 'database-cnpg';
const B = 'database-cnpg-dr';
const PLUGIN = 'barman-cloud.cloudnative-pg.io';

const external = (name: string) => ({
  name,
  plugin: { name: PLUGIN, parameters: { barmanObjectName: 'database-backup', serverName: name } },
});

describe('pgdr k8s switchover (distributed topology)', () => {
  let api: FakeKubeApi;
  let config: string;

  let dir: string | undefined;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pgdr-k8s-switchover-'));
    config = join(dir, 'pgdr.yaml');
    await writeFile(
      config,
      [
        `serverName: ${A}`,
        'objectStore:',
        '  destinationPath: s3://mastovault/cnpg/mastodon-database',
        // Never contacted: a switchover works on the API only.
        '  endpointURL: http://127.0.0.1:9',
        'kubernetes:',
        `  namespace: ${NS}`,
        `  cluster: ${A}`,
        '  objectStore: database-backup',
        '  credentialsSecret: mastodon-walg-s3',
        '',
      ].join('\n'),
    );
  });
  beforeEach(async () => {
    await api?.close();
    api = await startFakeKubeApi({ clusterScript: { mode: 'ready', stepMs: 100 } });
    for (const [name, instances] of [
      [A, 3],
      [B, 1],
    ] as const) {
      api.put({
        apiVersion: CNPG,
        kind: 'Cluster',
        metadata: { name, namespace: NS },
        spec: {
          instances,
          replica: { primary: A, self: name, source: name === A ? B : A },
          externalClusters: [external(A), external(B)],
        },
      });
      api.setStatus(CNPG, 'Cluster', NS, name, healthyClusterStatus(name, instances, 1));
    }
  });
  after(async () => {
    await api?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const run = (...more: string[]) =>
    runPgdr([
      'k8s',
      'switchover',
      ...more,
      '-c',
      config,
      '--kubeconfig',
      api.kubeconfig,
      '--poll-interval',
      '100ms',
    ]);
  const patches = () => api.requests.filter((r) => r.method === 'PATCH');
  const replicaOf = (name: string) =>
    (api.get(CNPG, 'Cluster', NS, name)?.spec as { replica?: Record<string, unknown> } | undefined)
      ?.replica ?? {};

  it('--dry-run prints every step and both patches, reading only the target', async () => {
    const r = await run('--to', B, '--dry-run');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      api.requests.map((x) => `${x.method} ${x.path}`),
      [`GET /apis/postgresql.cnpg.io/v1/namespaces/${NS}/clusters/${B}`],
    );
    for (const id of ['pre-checks', 'confirm', 'demote', 'demotion-token', 'promote', 'wait'])
      assert.match(r.stdout, new RegExp(`\\[${id}\\]`));
    assert.match(
      r.stdout,
      new RegExp(
        `# merge patch of Cluster ${NS}/${A}[^\\n]*\\n\\s+# Demotes ${A}[^\\n]*\\n\\s+spec:\\n\\s+replica:\\n\\s+primary: ${B}`,
      ),
    );
    assert.match(r.stdout, new RegExp(`# merge patch of Cluster ${NS}/${B}`));
    assert.match(r.stdout, /promotionToken: DEMOTION_TOKEN/);
  });

  it('refuses without a terminal and without --yes, changing nothing', async () => {
    const r = await run('--to', B);
    assert.equal(r.code, 25, `${r.stdout}\n${r.stderr}`);
    assert.match(
      r.stderr,
      /refusing to switch over without confirmation \(no terminal\); nothing was changed/,
    );
    assert.match(r.stderr, /hint: pass --yes to switch over to database-cnpg-dr/);
    assert.match(r.stdout, /FAILED at step confirm/);
    assert.deepEqual(patches(), []);
  });

  it('--yes demotes the primary, promotes the other with its demotion token, waits for the new timeline; the printed reverse command switches back', async () => {
    const r = await run('--to', B, '--yes');
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const [demote, promote] = patches();
    assert.equal(demote?.path, `/apis/postgresql.cnpg.io/v1/namespaces/${NS}/clusters/${A}`);
    assert.deepEqual(demote?.body, { spec: { replica: { primary: B } } });
    assert.equal(demote?.contentType, 'application/merge-patch+json');
    const token = (api.get(CNPG, 'Cluster', NS, A)?.status as { demotionToken?: string } | undefined)
      ?.demotionToken;
    assert.ok(token);
    assert.equal(promote?.path, `/apis/postgresql.cnpg.io/v1/namespaces/${NS}/clusters/${B}`);
    assert.deepEqual(promote?.body, { spec: { replica: { primary: B, promotionToken: token } } });
    assert.equal(
      (api.get(CNPG, 'Cluster', NS, B)?.status as { timelineID?: number } | undefined)?.timelineID,
      2,
    );
    assert.ok(!r.stdout.includes(String(token)), 'the token is not printed');
    for (const id of ['pre-checks', 'demote', 'demotion-token', 'promote', 'wait'])
      assert.match(r.stdout, new RegExp(`\\n\\s+${id}\\s+done\\s+\\d+\\.\\d s`));
    const back = /To switch back: (pgdr k8s switchover .*)$/m.exec(r.stdout)?.[1];
    assert.equal(back, `pgdr k8s switchover --to ${A} -n ${NS}`);

    // B already names itself primary; A follows it: the reverse switchover.
    assert.equal(replicaOf(A).primary, B);
    const j = await run('--to', A, '-n', NS, '--yes', '--format', 'json');
    assert.equal(j.code, 0, `${j.stdout}\n${j.stderr}`);
    const report = JSON.parse(j.stdout);
    assert.equal(report.ok, true);
    assert.equal(report.from, B);
    assert.equal(report.reverse, `pgdr k8s switchover --to ${B} -n ${NS}`);
    assert.equal(replicaOf(A).primary, A);
    assert.equal(replicaOf(B).primary, A);
  });

  it('refuses before any change: the current primary, a standalone replica, a primary that could not follow the target', async () => {
    const self = await run('--to', A, '--yes');
    assert.equal(self.code, 23, self.stderr);
    assert.match(self.stderr, /database-cnpg is already the primary of the topology/);
    const noTo = await run('--yes', '--format', 'json');
    assert.equal(noTo.code, 2, noTo.stderr);
    assert.equal(JSON.parse(noTo.stdout).error.name, 'USAGE');
    const failed = JSON.parse((await run('--to', A, '--yes', '--format', 'json')).stdout);
    assert.equal(failed.ok, false, 'a failed run prints its report once, not a second JSON error');
    assert.equal(failed.failure.name, 'REFUSED');
    api.put({
      apiVersion: CNPG,
      kind: 'Cluster',
      metadata: { name: 'standalone', namespace: NS },
      spec: { instances: 1, replica: { enabled: true, source: A } },
    });
    const alone = await run('--to', 'standalone', '--yes');
    assert.equal(alone.code, 2, alone.stderr);
    assert.match(alone.stderr, /not in a distributed topology/);
    assert.match(alone.stderr, /pgdr k8s promote/);
    api.put({
      apiVersion: CNPG,
      kind: 'Cluster',
      metadata: { name: A, namespace: NS },
      spec: { instances: 3, replica: { primary: A, self: A, source: B }, externalClusters: [external(A)] },
    });
    api.setStatus(CNPG, 'Cluster', NS, A, healthyClusterStatus(A, 3, 1));
    const lonely = await run('--to', B, '--yes');
    assert.equal(lonely.code, 23, lonely.stderr);
    assert.match(lonely.stderr, /has no externalClusters entry named database-cnpg-dr/);
    assert.deepEqual(patches(), []);
  });

  it('a failure after the demotion says no Cluster takes writes; the same command resumes from the token', async () => {
    const allow = api.deny({ verb: 'patch', resource: 'clusters', namespace: NS, name: B });
    const r = await run('--to', B, '--yes');
    assert.equal(r.code, 60, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /FAILED at step promote/);
    assert.match(
      r.stdout,
      /database-cnpg was DEMOTED and database-cnpg-dr not promoted: no Cluster takes writes/,
    );
    assert.equal(replicaOf(A).primary, B);
    allow();
    const again = await run('--to', B, '--yes');
    assert.equal(again.code, 0, `${again.stdout}\n${again.stderr}`);
    assert.match(again.stdout, /already demoted by an earlier run/);
    assert.match(again.stdout, /\n\s+demote\s+skipped/);
    assert.equal(replicaOf(B).primary, B);
  });
});
