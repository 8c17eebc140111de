// `pgdr k8s manifests` as a user runs it: the built CLI, the seed's config, both output formats.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments, stringify } from 'yaml';
import { MANIFEST_KINDS } from '../../src/k8s/manifests.js';
import { runPgdr } from '../helpers/cli.js';
import { K8S_FIXTURES, mastodonCluster, registry, SEED_CONFIG } from '../unit/k8s-fixtures.js';

const PATCH_OF = { apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster' };
const validate = (o: unknown, kind: string) =>
  registry()
    .validate(o, kind === 'promotion-patch' || kind === 'cluster-plugin' ? { as: PATCH_OF } : {})
    .errors.map((e) => `${e.path}: ${e.message}`);
const run = (...args: string[]) =>
  runPgdr(['k8s', 'manifests', ...args, '-c', SEED_CONFIG], { cwd: K8S_FIXTURES });

describe('pgdr k8s manifests (CLI)', () => {
  for (const kind of MANIFEST_KINDS) {
    it(`prints ${kind} as JSON and YAML that validate strictly`, async () => {
      const j = await run(kind, '-o', 'json');
      assert.equal(j.code, 0, j.stderr);
      assert.equal(j.stderr, '');
      const value = JSON.parse(j.stdout);
      const objects = value.kind === 'List' ? value.items : [value];
      assert.equal(value.kind === 'List', kind === 'drill-cronjob' || kind === 'monitoring');
      for (const o of objects) assert.deepEqual(validate(o, kind), []);

      const y = await run(kind, '-o', 'yaml');
      assert.equal(y.code, 0, y.stderr);
      const docs = parseAllDocuments(y.stdout).map((d) => d.toJS());
      assert.deepEqual(docs, objects);
    });
  }

  it('passes the recovery target and the promotion token through', async () => {
    const r = await run('recovery-cluster', '--target-time', '2024-12-15 12:00:00', '-o', 'json');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).spec.bootstrap.recovery.recoveryTarget, {
      targetTime: '2024-12-15T12:00:00Z',
    });
    assert.match((await run('recovery-cluster')).stdout, /^# metadata\.name is immutable/m);
    const p = await run('promotion-patch', '--promotion-token', 'abc=', '-o', 'json');
    assert.deepEqual(JSON.parse(p.stdout), {
      spec: { replica: { primary: 'database-cnpg-replica', promotionToken: 'abc=' } },
    });
  });

  it('refuses an --archive-server-name that is not a valid serverName', async () => {
    for (const kind of ['recovery-cluster', 'replica-cluster']) {
      const r = await run(kind, '--archive-server-name', 'db/2');
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /--archive-server-name 'db\/2' is not a valid serverName/);
      assert.equal(r.stdout, '');
    }
  });

  it('refuses an unknown KIND, a flag of another KIND and two targets', async () => {
    const k = await run('clusterr');
    assert.equal(k.code, 2);
    assert.match(
      k.stderr,
      /^pgdr: error: k8s manifests: unknown KIND 'clusterr'\nhint: KIND is one of objectstore, /,
    );
    const f = await run('objectstore', '--target-time', '2024-12-15T12:00:00Z');
    assert.equal(f.code, 2);
    assert.match(f.stderr, /--target-time does not apply to objectstore/);
    const t = await run('recovery-cluster', '--target-xid', '5', '--target-immediate');
    assert.equal(t.code, 2);
    assert.match(t.stderr, /choose one recovery target, not targetXID and targetImmediate/);
  });

  it('says what to add when the config has no kubernetes section', async () => {
    const flags = ['--destination-path', 's3://mastovault/p', '--server-name', 'database-cnpg'];
    const r = await runPgdr(['k8s', 'manifests', 'objectstore', ...flags], { cwd: K8S_FIXTURES });
    assert.equal(r.code, 3);
    assert.match(
      r.stderr,
      /^pgdr: error: the configuration \(flags\) has no kubernetes: section\nhint: add kubernetes: /,
    );
  });

  it('--from-cluster FILE clones the source Cluster offline (kubectl get -o yaml, also as a List); --instances', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'pgdr-from-cluster-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'cluster.yaml');
    await writeFile(file, stringify({ apiVersion: 'v1', kind: 'List', items: [mastodonCluster()] }));
    const r = await run('recovery-cluster', '--from-cluster', file, '--instances', '2', '-o', 'json');
    assert.equal(r.code, 0, r.stderr);
    const spec = JSON.parse(r.stdout).spec;
    assert.deepEqual(validate(JSON.parse(r.stdout), 'recovery-cluster'), []);
    assert.equal(spec.postgresql.parameters.max_connections, '600');
    assert.equal(spec.instances, 2);
    assert.equal(spec.bootstrap.recovery.database, 'mastodon_production');
    assert.deepEqual(spec.walStorage, { size: '50Gi', storageClass: 'fast-ssd' });
    const y = await run('replica-cluster', '--from-cluster', file);
    assert.equal(y.code, 0, y.stderr);
    assert.match(y.stdout, /^# Carried over from file .*cluster\.yaml \(Cluster database-cnpg\):$/m);
    assert.match(y.stdout, /^# {3}postgresql \(parameters: max_connections, /m);
    // Without it: the configuration only, and the notes say so.
    assert.match(
      (await run('recovery-cluster')).stdout,
      /^# Built from the configuration only \(no --from-cluster FILE\)/m,
    );
    const two = join(dir, 'two.yaml');
    await writeFile(two, `${stringify(mastodonCluster())}---\n${stringify(mastodonCluster())}`);
    const bad = await run('recovery-cluster', '--from-cluster', two);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /holds 2 CloudNativePG Clusters/);
    const gone = await run('recovery-cluster', '--from-cluster', join(dir, 'missing.yaml'));
    assert.equal(gone.code, 18, gone.stderr);
    assert.match(gone.stderr, /missing\.yaml/);
    const flagElsewhere = await run('objectstore', '--from-cluster', file);
    assert.equal(flagElsewhere.code, 2);
    assert.match(flagElsewhere.stderr, /--from-cluster does not apply to objectstore/);
  });
});
