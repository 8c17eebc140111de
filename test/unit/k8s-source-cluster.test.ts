// Recovery, replica and drill Clusters cloned from the live source Cluster (source-cluster.ts): what must match
// for a standby to start (max_connections and the other hot-standby settings), and what should.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { K8sObject, ManifestSource } from '../../src/k8s/manifest-types.js';
import { buildManifests } from '../../src/k8s/manifests.js';
import { quantityBytes, type SourceCluster } from '../../src/k8s/source-cluster.js';
import {
  assertValid,
  errorOf,
  firstManifest,
  mastodonCluster,
  seedSource,
  withKubernetes,
} from './k8s-fixtures.js';

type Obj = Record<string, unknown>;

const from = (object: K8sObject = mastodonCluster()): SourceCluster => ({
  object,
  origin: 'Cluster test (live)',
});
const seed = seedSource();
const withSource = (object?: K8sObject, k8s: Partial<ManifestSource['k8s']> = {}): ManifestSource => ({
  ...withKubernetes(seed, k8s),
  from: from(object),
});
const specOf = (m: { object: unknown }) => (m.object as K8sObject).spec as Obj;

describe('k8s Clusters cloned from the source Cluster', () => {
  it('a recovery Cluster carries max_connections 600, resources, storage, walStorage and the mastodon_production database', () => {
    const m = firstManifest('recovery-cluster', withSource());
    assertValid(m);
    const spec = specOf(m);
    const src = mastodonCluster().spec as Obj;
    assert.equal(spec.instances, 3);
    assert.equal(spec.imageName, src.imageName);
    assert.deepEqual(spec.postgresql, src.postgresql);
    assert.equal((spec.postgresql as { parameters: Obj }).parameters.max_connections, '600');
    assert.deepEqual(spec.resources, src.resources);
    assert.deepEqual(spec.storage, { size: '200Gi', storageClass: 'fast-ssd' });
    assert.deepEqual(spec.walStorage, src.walStorage);
    assert.deepEqual(spec.affinity, src.affinity);
    assert.deepEqual(spec.monitoring, src.monitoring);
    assert.deepEqual((spec.bootstrap as Obj).recovery, {
      source: 'backup-source',
      database: 'mastodon_production',
      owner: 'mastodon',
      secret: { name: 'mastodon-db-credentials' },
    });
    // What it reads and where it archives stay pgdr's: never the source's archiver entry.
    assert.deepEqual(spec.plugins, [
      {
        name: 'barman-cloud.cloudnative-pg.io',
        isWALArchiver: true,
        parameters: { barmanObjectName: 'database-backup', serverName: 'database-cnpg-recovered' },
      },
    ]);
    const notes = m.notes.join('\n');
    assert.match(notes, /Carried over from Cluster test \(live\)/);
    assert.match(notes, /parameters: max_connections, max_worker_processes, shared_buffers/);
    assert.match(
      notes,
      /bootstrap.recovery database mastodon_production, owner mastodon, secret mastodon-db-credentials/,
    );
  });

  it('the image catalog, a larger configured storage size and --instances', () => {
    const c = mastodonCluster();
    const spec = c.spec as Obj;
    delete spec.imageName;
    spec.imageCatalogRef = {
      apiGroup: 'postgresql.cnpg.io',
      kind: 'ClusterImageCatalog',
      name: 'pg',
      major: 17,
    };
    const m = firstManifest('recovery-cluster', withSource(c, { storageSize: '1Ti' }), { instances: 1 });
    assertValid(m);
    const out = specOf(m);
    assert.deepEqual(out.imageCatalogRef, spec.imageCatalogRef);
    assert.equal(out.imageName, undefined, 'imageName and imageCatalogRef exclude each other');
    assert.deepEqual(out.storage, { size: '1Ti', storageClass: 'fast-ssd' });
    assert.equal(out.instances, 1);
    // A smaller configured size never shrinks the copy below the source.
    const small = specOf(firstManifest('recovery-cluster', withSource(undefined, { storageSize: '20Gi' })));
    assert.deepEqual(small.storage, { size: '200Gi', storageClass: 'fast-ssd' });
  });

  it('a replica Cluster carries the same; a drill in another namespace leaves Secrets and monitoring behind', () => {
    const r = firstManifest('replica-cluster', withSource(), { distributed: true });
    assertValid(r);
    assert.equal(((specOf(r).postgresql as Obj).parameters as Obj).max_connections, '600');
    assert.equal(((specOf(r).bootstrap as Obj).recovery as Obj).database, 'mastodon_production');
    const d = firstManifest('recovery-cluster', withSource(), { namespace: 'dr-drill', archive: false });
    assertValid(d);
    const spec = specOf(d);
    assert.equal((spec.postgresql as { parameters: Obj }).parameters.max_connections, '600');
    assert.equal(spec.monitoring, undefined);
    assert.deepEqual((spec.bootstrap as Obj).recovery, {
      source: 'backup-source',
      database: 'mastodon_production',
      owner: 'mastodon',
    });
  });

  it('without a source: the configuration only, and the notes say so and why', () => {
    const m = firstManifest('recovery-cluster', { ...seed, configOnly: 'the API was not reachable' });
    assert.deepEqual(Object.keys(specOf(m)).sort(), [
      'bootstrap',
      'externalClusters',
      'imageName',
      'instances',
      'plugins',
      'storage',
    ]);
    assert.match(m.notes.join('\n'), /configuration only \(the API was not reachable\)/);
    assert.match(m.notes.join('\n'), /max_connections/);
  });

  it('refuses a source that is not a Cluster, and one without storage when none is configured', () => {
    const notCluster = { ...mastodonCluster(), kind: 'Pooler' };
    assert.match(
      errorOf(() => buildManifests('recovery-cluster', withSource(notCluster))),
      /^USAGE: .* is not a CloudNativePG Cluster/,
    );
    const c = mastodonCluster();
    delete (c.spec as Obj).storage;
    assert.match(
      errorOf(() => buildManifests('recovery-cluster', withSource(c, { storageSize: undefined }))),
      /^CONFIG_INVALID: .*has no spec.storage/,
    );
  });

  it('reads Kubernetes quantities', () => {
    assert.equal(quantityBytes('20Gi'), 20 * 2 ** 30);
    assert.equal(quantityBytes('1.5Ti'), 1.5 * 2 ** 40);
    assert.equal(quantityBytes('500M'), 5e8);
    assert.equal(quantityBytes('20 GB'), undefined);
  });
});

describe('k8s manifests the runbook was missing', () => {
  it('cluster-plugin: a merge patch of the source Cluster with barmanObjectName and serverName', () => {
    const m = firstManifest('cluster-plugin', seed);
    assertValid(m);
    assert.deepEqual(m.patchOf, {
      apiVersion: 'postgresql.cnpg.io/v1',
      kind: 'Cluster',
      name: 'database-cnpg',
      namespace: 'goingdark-social',
    });
    assert.deepEqual(m.object, {
      spec: {
        plugins: [
          {
            name: 'barman-cloud.cloudnative-pg.io',
            isWALArchiver: true,
            parameters: { barmanObjectName: 'database-backup', serverName: 'database-cnpg' },
          },
        ],
      },
    });
  });

  it('an R2 endpoint gives the ObjectStore the sidecar environment R2 needs; another endpoint none', () => {
    const r2 = firstManifest('objectstore', seed);
    assertValid(r2);
    assert.deepEqual(specOf(r2).instanceSidecarConfiguration, {
      env: [
        { name: 'AWS_REQUEST_CHECKSUM_CALCULATION', value: 'when_required' },
        { name: 'AWS_RESPONSE_CHECKSUM_VALIDATION', value: 'when_required' },
      ],
    });
    const minio = {
      ...seed,
      config: {
        ...seed.config,
        objectStore: { ...seed.config.objectStore, endpointURL: 'https://minio.example:9000' },
      },
    };
    const m = firstManifest('objectstore', minio);
    assertValid(m);
    assert.equal(specOf(m).instanceSidecarConfiguration, undefined);
    // A look-alike host is not R2.
    const fake = {
      ...seed,
      config: {
        ...seed.config,
        objectStore: {
          ...seed.config.objectStore,
          endpointURL: 'https://r2.cloudflarestorage.com.evil.example',
        },
      },
    };
    assert.equal(specOf(firstManifest('objectstore', fake)).instanceSidecarConfiguration, undefined);
  });

  it('a Backup carries no barmanObjectName and warns that the plugin would ignore one', () => {
    const m = firstManifest('backup', seed, { name: 'before-failback' });
    assertValid(m);
    assert.deepEqual(specOf(m).pluginConfiguration, { name: 'barman-cloud.cloudnative-pg.io' });
    assert.match(m.notes.join('\n'), /ignores barmanObjectName in a Backup/);
    assert.match(m.notes.join('\n'), /pgdr k8s manifests cluster-plugin/);
  });
});
