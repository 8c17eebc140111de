// Shared by the k8s tests: the CRDs copied from CloudNativePG and the seed's configuration.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/load.js';
import { PgdrError } from '../../src/errors.js';
import { clusterAdmissionProblems } from '../../src/k8s/cluster-admission.js';
import {
  type K8sObject,
  MANAGED_BY,
  type Manifest,
  type ManifestSource,
} from '../../src/k8s/manifest-types.js';
import {
  buildManifests,
  type ManifestKind,
  type ManifestOptions,
  manifestSource,
} from '../../src/k8s/manifests.js';
import { formatProblems, SchemaRegistry } from '../../src/k8s/validate-crd.js';

export const K8S_FIXTURES = fileURLToPath(new URL('../../../test/fixtures/k8s/', import.meta.url));
export const CRD_DIR = `${K8S_FIXTURES}crds`;
export const SEED_CONFIG = `${K8S_FIXTURES}runbook-pgdr.yaml`;

let cached: SchemaRegistry | undefined;
export function registry(): SchemaRegistry {
  cached ??= SchemaRegistry.fromCrdDir(CRD_DIR);
  return cached;
}

export function seedSource(): ManifestSource {
  return manifestSource(loadConfig({ overrides: { configFile: SEED_CONFIG }, env: {}, cwd: K8S_FIXTURES }));
}

/** Asserts a manifest passes strict validation, printing every problem if not. */
export function assertValid(m: Manifest): void {
  const r = registry().validate(m.object, m.patchOf ? { as: m.patchOf } : {});
  const problems = [
    ...formatProblems(r),
    ...clusterAdmissionProblems(m.object).map((p) => `${p.path}: ${p.message}`),
  ];
  assert.deepEqual(problems, [], JSON.stringify(m.object, null, 2));
  assert.deepEqual(r.unchecked, []);
}

export function firstManifest(kind: ManifestKind, src: ManifestSource, o: ManifestOptions = {}): Manifest {
  const [m] = buildManifests(kind, src, o);
  assert.ok(m);
  return m;
}

export const withKubernetes = (src: ManifestSource, k8s: Partial<ManifestSource['k8s']>): ManifestSource => ({
  ...src,
  k8s: { ...src.k8s, ...k8s },
});

/** `CODE: message` of the PgdrError fn throws. */
export function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof PgdrError, String(e));
    return `${e.code}: ${e.message}`;
  }
  assert.fail('expected an error');
}

/** A Mastodon Cluster as it runs: tuned, with resources, a WAL volume and the initdb application database. */
export function mastodonCluster(): K8sObject {
  return {
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'Cluster',
    metadata: { name: 'database-cnpg', namespace: 'goingdark-social', labels: { ...MANAGED_BY } },
    spec: {
      instances: 3,
      imageName: 'ghcr.io/cloudnative-pg/postgresql:17.2-standard-bookworm',
      postgresql: {
        parameters: {
          max_connections: '600',
          max_worker_processes: '16',
          shared_buffers: '4GB',
          'pg_stat_statements.max': '10000',
        },
        shared_preload_libraries: ['pg_stat_statements'],
        pg_hba: ['host all all 10.0.0.0/8 scram-sha-256'],
      },
      resources: { requests: { cpu: '2', memory: '8Gi' }, limits: { memory: '8Gi' } },
      storage: { size: '200Gi', storageClass: 'fast-ssd' },
      walStorage: { size: '50Gi', storageClass: 'fast-ssd' },
      affinity: { enablePodAntiAffinity: true, topologyKey: 'kubernetes.io/hostname' },
      monitoring: { enablePodMonitor: true },
      bootstrap: {
        initdb: {
          database: 'mastodon_production',
          owner: 'mastodon',
          secret: { name: 'mastodon-db-credentials' },
        },
      },
      plugins: [
        {
          name: 'barman-cloud.cloudnative-pg.io',
          isWALArchiver: true,
          parameters: { barmanObjectName: 'database-backup', serverName: 'database-cnpg' },
        },
      ],
    },
    status: { phase: 'Cluster in healthy state' },
  };
}
