// `pgdr k8s promote` against the scripted Kubernetes API: the same confirmation rules as `pgdr replica promote`
// (--yes, or the Cluster's name typed on a terminal; refused without one, nothing changed), the seed's
// promotion patch sent as a merge patch, and the wait for the new timeline. The bucket is never contacted.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { PGDR_BIN, runPgdr } from '../helpers/cli.js';
import { type FakeKubeApi, healthyClusterStatus, startFakeKubeApi } from '../helpers/fake-kube-api.js';

const NS = 'goingdark-social';
const CNPG = 'postgresql.cnpg.io/v1';
const REPLICA = 'database-cnpg-replica';

describe('pgdr k8s promote', () => {
  let api: FakeKubeApi;
  let config: string;

  let dir: string | undefined;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pgdr-k8s-promote-'));
    config = join(dir, 'pgdr.yaml');
    await writeFile(
      config,
      [
        'serverName: database-cnpg',
        'objectStore:',
        '  destinationPath: s3://mastovault/cnpg/mastodon-database',
        // Never contacted: promote works on the API only.
        '  endpointURL: http://127.0.0.1:9',
        'kubernetes:',
        `  namespace: ${NS}`,
        '  cluster: database-cnpg',
        '  objectStore: database-backup',
        '  credentialsSecret: mastodon-walg-s3',
        '',
      ].join('\n'),
    );
  });
  beforeEach(async () => {
    await api?.close();
    api = await startFakeKubeApi({ clusterScript: { mode: 'ready', stepMs: 100 } });
    api.put({
      apiVersion: CNPG,
      kind: 'Cluster',
      metadata: { name: 'database-cnpg', namespace: NS },
      spec: { instances: 3 },
    });
    api.setStatus(CNPG, 'Cluster', NS, 'database-cnpg', healthyClusterStatus('database-cnpg', 3, 1));
    api.put({
      apiVersion: CNPG,
      kind: 'Cluster',
      metadata: { name: REPLICA, namespace: NS },
      spec: { instances: 1, replica: { enabled: true, source: 'database-cnpg' } },
    });
    api.setStatus(CNPG, 'Cluster', NS, REPLICA, healthyClusterStatus(REPLICA, 1, 1));
  });
  after(async () => {
    await api?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const args = () => ['-c', config, '--kubeconfig', api.kubeconfig, '--poll-interval', '100ms'];
  const patches = () => api.requests.filter((r) => r.method === 'PATCH');

  it('refuses without a terminal and without --yes, changing nothing', async () => {
    const r = await runPgdr(['k8s', 'promote', ...args()]);
    assert.equal(r.code, 25, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, /refusing to promote without confirmation \(no terminal\); nothing was changed/);
    assert.match(r.stderr, /hint: pass --yes to promote database-cnpg-replica/);
    assert.match(r.stdout, /FAILED at step confirm/);
    assert.deepEqual(patches(), []);
  });

  it('--yes sends the promotion patch and waits for the new timeline', async () => {
    const r = await runPgdr(['k8s', 'promote', '--yes', ...args()]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const [p] = patches();
    assert.ok(p);
    assert.equal(p.path, `/apis/postgresql.cnpg.io/v1/namespaces/${NS}/clusters/${REPLICA}`);
    assert.equal(p.contentType, 'application/merge-patch+json');
    assert.deepEqual(p.body, { spec: { replica: { enabled: false } } });
    assert.equal(patches().length, 1, 'the source Cluster is not touched');
    assert.match(r.stdout, /database-cnpg: Cluster in healthy state.*STILL HEALTHY/);
    assert.match(
      r.stdout,
      /database-cnpg-replica is a primary \(timeline 2\)\. Point the applications at database-cnpg-replica-rw/,
    );
    assert.match(r.stdout, /\n\s+wait\s+done\s+\d+\.\d s/);
  });

  it('the distributed form with --promotion-token', async () => {
    api.put({
      apiVersion: CNPG,
      kind: 'Cluster',
      metadata: { name: REPLICA, namespace: NS },
      spec: { instances: 1, replica: { primary: 'database-cnpg', self: REPLICA, source: 'database-cnpg' } },
    });
    api.setStatus(CNPG, 'Cluster', NS, REPLICA, healthyClusterStatus(REPLICA, 1, 1));
    // The token the demoted primary published: the scripted operator promotes with no other.
    api.setStatus(CNPG, 'Cluster', NS, 'database-cnpg', {
      ...healthyClusterStatus('database-cnpg', 3, 1),
      demotionToken: 'dG9rZW4=',
    });
    const r = await runPgdr(['k8s', 'promote', '--yes', '--promotion-token', 'dG9rZW4=', ...args()]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.deepEqual(patches()[0]?.body, {
      spec: { replica: { primary: REPLICA, promotionToken: 'dG9rZW4=' } },
    });
  });

  it('a Cluster that is not a replica: NOT_STANDBY, nothing patched', async () => {
    api.put({
      apiVersion: CNPG,
      kind: 'Cluster',
      metadata: { name: REPLICA, namespace: NS },
      spec: { instances: 1 },
    });
    const r = await runPgdr(['k8s', 'promote', '--yes', ...args()]);
    assert.equal(r.code, 24, r.stderr);
    assert.match(r.stderr, /is not a replica \(already promoted\?\): nothing to promote/);
    assert.deepEqual(patches(), []);
  });

  it('on a terminal, promotes only once the Cluster name is typed', async () => {
    const onTty = (answer: string) =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const cmd = [process.execPath, PGDR_BIN, 'k8s', 'promote', ...args()].map((a) => `'${a}'`).join(' ');
        // script(1) gives the CLI a pseudo-terminal for stdin and stdout, as a person at a shell has.
        const child = spawn('script', ['-qec', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('to promote: ') && !child.stdin.writableEnded) child.stdin.end(`${answer}\n`);
        });
        child.on('close', (code) => resolve({ code, out }));
      });
    const wrong = await onTty('database-cnpg');
    assert.equal(wrong.code, 25, wrong.out);
    assert.match(wrong.out, /the answer did not match database-cnpg-replica; nothing was changed/);
    assert.deepEqual(patches(), []);
    const right = await onTty(REPLICA);
    assert.equal(right.code, 0, right.out);
    assert.equal(patches().length, 1);
  });
});
