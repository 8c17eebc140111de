import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { buildConfig, Problems } from '../../src/config/validate.js';
import { PgdrError } from '../../src/errors.js';
import { K8S_FIXTURES, SEED_CONFIG } from './k8s-fixtures.js';

const base = { serverName: 'database-cnpg', objectStore: { destinationPath: 's3://mastovault/cnpg' } };
const minimal = {
  namespace: 'goingdark-social',
  objectStore: 'database-backup',
  credentialsSecret: 'mastodon-walg-s3',
};

function build(kubernetes: unknown, extra: Record<string, unknown> = {}) {
  const p = new Problems();
  const config = buildConfig(
    { raw: { ...base, ...extra, kubernetes }, env: {}, source: 'test', defaults: { jobs: 2 } },
    p,
  );
  return { config, problems: p.list.map((x) => `${x.path}: ${x.message}`) };
}

describe('config kubernetes section', () => {
  it('loads the seed configuration', () => {
    const c = loadConfig({ overrides: { configFile: SEED_CONFIG }, env: {}, cwd: K8S_FIXTURES });
    assert.deepEqual(c.kubernetes, {
      namespace: 'goingdark-social',
      cluster: 'database-cnpg',
      objectStore: 'database-backup',
      credentialsSecret: {
        name: 'mastodon-walg-s3',
        accessKeyIdKey: 'ACCESS_KEY_ID',
        secretAccessKeyKey: 'ACCESS_SECRET_KEY',
      },
      applications: [
        'mastodon-web',
        'mastodon-streaming',
        'mastodon-sidekiq-default',
        'mastodon-sidekiq-federation',
        'mastodon-sidekiq-background',
        'mastodon-sidekiq-scheduler',
      ],
      pooler: 'database-cnpg-pooler-rw',
      replicaCluster: 'database-cnpg-replica',
      recoveredCluster: 'database-cnpg-recovered',
      imageName: undefined,
      postgresVersion: 17,
      instances: 1,
      storageSize: '20Gi',
      drill: {
        schedule: '0 2 1 * *',
        webhook: { secret: 'pgdr-drill-webhook', key: 'url' },
        image: 'ghcr.io/example/pgdr:0.1.0',
      },
    });
  });

  it('is optional, and defaults the cluster to serverName', () => {
    assert.equal(build(undefined).config?.kubernetes, undefined);
    const { config, problems } = build(minimal);
    assert.deepEqual(problems, []);
    assert.equal(config?.kubernetes?.cluster, 'database-cnpg');
    assert.deepEqual(config?.kubernetes?.applications, []);
    assert.equal(config?.kubernetes?.drill.schedule, '0 2 1 * *');
    assert.equal(config?.kubernetes?.credentialsSecret.secretAccessKeyKey, 'ACCESS_SECRET_KEY');
  });

  it('names every mistake with its path and a hint', () => {
    const { config, problems } = build({
      namespace: 'Goingdark_Social',
      objectStor: 'x',
      credentialsSecret: { name: 'mastodon-walg-s3', accessKey: 'id' },
      applications: ['mastodon-web', 'Mastodon Web', 'mastodon-web'],
      instances: 0,
      storageSize: '20 GB',
      imageName: 'ghcr.io/cloudnative-pg/postgresql:17',
      postgresVersion: 17,
      drill: { schedule: '0 0 6 * * *', webhook: 'slack' },
    });
    assert.equal(config, undefined);
    assert.deepEqual(problems, [
      'kubernetes.objectStor: unknown field (known: namespace, cluster, objectStore, credentialsSecret, applications, pooler, replicaCluster, recoveredCluster, imageName, postgresVersion, instances, storageSize, drill)',
      "kubernetes.namespace: must be a Kubernetes name: lower-case letters, digits and '-', at most 63 characters (got 'Goingdark_Social')",
      'kubernetes.objectStore: is required: the name of the barmancloud.cnpg.io ObjectStore resource',
      'kubernetes.credentialsSecret.accessKey: unknown field (known: name, accessKeyIdKey, secretAccessKeyKey)',
      'kubernetes.applications[1]: must be a Deployment name',
      'kubernetes.applications: lists a Deployment twice',
      'kubernetes.postgresVersion: give imageName or postgresVersion, not both',
      'kubernetes.instances: must be a whole number from 1 to 99',
      "kubernetes.storageSize: must be a Kubernetes quantity such as 50Gi (got '20 GB')",
      `kubernetes.drill.schedule: must be a five-field cron such as "0 2 1 * *" (got '0 0 6 * * *')`,
      'kubernetes.drill.webhook: must be an http(s) URL or {secret: NAME, key: KEY} (a Secret holding the URL)',
    ]);
  });

  it('requires the names it cannot guess', () => {
    assert.deepEqual(build({}).problems, [
      'kubernetes.namespace: is required: the namespace of the Cluster',
      'kubernetes.objectStore: is required: the name of the barmancloud.cnpg.io ObjectStore resource',
      'kubernetes.credentialsSecret: is required: the Secret with the bucket credentials: a name, or {name, accessKeyIdKey, secretAccessKeyKey}',
    ]);
    assert.deepEqual(build('goingdark-social').problems, [
      'kubernetes: must be a mapping (namespace, cluster, objectStore, credentialsSecret, applications, ...)',
    ]);
    assert.deepEqual(build(minimal, { serverName: 'Database_CNPG' }).problems, [
      "kubernetes.cluster: is required: serverName 'Database_CNPG' is not a valid Cluster name",
    ]);
  });

  it('fails loading with CONFIG_INVALID naming the field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgdr-k8s-config-'));
    try {
      writeFileSync(
        join(dir, 'pgdr.yaml'),
        'serverName: database-cnpg\nobjectStore: {destinationPath: s3://mastovault/cnpg}\nkubernetes: {namespace: goingdark-social, objectStore: database-backup, credentialsSecret: mastodon-walg-s3, pooler: Pooler}\n',
      );
      assert.throws(
        () => loadConfig({ overrides: {}, env: {}, cwd: dir }),
        (e: unknown) =>
          e instanceof PgdrError &&
          e.code === 'CONFIG_INVALID' &&
          e.message.startsWith('kubernetes.pooler: must be a Kubernetes name') &&
          e.hint === 'fix pgdr.yaml (configuration reference: docs/configuration.md)',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
