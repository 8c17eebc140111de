import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { buildConfig, Problems } from '../../src/config/validate.js';
import type { K8sObject, ManifestSource } from '../../src/k8s/manifest-types.js';
import { buildManifests, type ManifestKind } from '../../src/k8s/manifests.js';
import { checkRecoveryTarget } from '../../src/k8s/recovery-target.js';
import { VERSION } from '../../src/version.js';
import { errorOf, firstManifest, seedSource, withKubernetes } from './k8s-fixtures.js';

const seed = seedSource();
const one = (kind: ManifestKind, o = {}, src: ManifestSource = seed) => firstManifest(kind, src, o);
// biome-ignore lint/suspicious/noExplicitAny: reading deep into manifests in assertions
const spec = (kind: ManifestKind, o = {}): any => (one(kind, o).object as K8sObject).spec;
const withK8s = (k8s: Partial<ManifestSource['k8s']>) => withKubernetes(seed, k8s);

describe('k8s manifests from the seed configuration', () => {
  it('produces the seed ObjectStore', () => {
    const m = one('objectstore').object as K8sObject;
    assert.deepEqual(m.metadata.name, 'database-backup');
    assert.deepEqual(m.metadata.namespace, 'goingdark-social');
    assert.deepEqual(m.spec, {
      configuration: {
        destinationPath: 's3://mastovault/cnpg/mastodon-database',
        endpointURL: 'https://a694d529ab7d7176bcac8585f8bafdf4.r2.cloudflarestorage.com',
        s3Credentials: {
          accessKeyId: { name: 'mastodon-walg-s3', key: 'ACCESS_KEY_ID' },
          secretAccessKey: { name: 'mastodon-walg-s3', key: 'ACCESS_SECRET_KEY' },
        },
        wal: { compression: 'gzip', maxParallel: 8 },
        data: { compression: 'gzip', jobs: 2 },
      },
      retentionPolicy: '14d',
      // The seed's endpoint is R2 (plugin-barman-cloud issue 393).
      instanceSidecarConfiguration: {
        env: [
          { name: 'AWS_REQUEST_CHECKSUM_CALCULATION', value: 'when_required' },
          { name: 'AWS_RESPONSE_CHECKSUM_VALIDATION', value: 'when_required' },
        ],
      },
    });
  });

  it('produces the seed daily 06:00 UTC ScheduledBackup through the plugin', () => {
    assert.deepEqual(spec('scheduled-backup'), {
      schedule: '0 0 6 * * *',
      cluster: { name: 'database-cnpg' },
      method: 'plugin',
      pluginConfiguration: { name: 'barman-cloud.cloudnative-pg.io' },
      backupOwnerReference: 'self',
    });
    assert.match(
      errorOf(() => one('scheduled-backup', { schedule: '0 6 * * *' })),
      /^USAGE: schedule '0 6 \* \* \*' does not have six fields/,
    );
  });

  it('produces the seed replica cluster following database-cnpg with its own archive', () => {
    const m = one('replica-cluster').object as K8sObject;
    const s = spec('replica-cluster');
    assert.equal(m.metadata.name, 'database-cnpg-replica');
    assert.deepEqual(s.bootstrap, { recovery: { source: 'database-cnpg' } });
    assert.deepEqual(s.replica, { enabled: true, source: 'database-cnpg' });
    assert.deepEqual(s.externalClusters, [
      {
        name: 'database-cnpg',
        plugin: {
          name: 'barman-cloud.cloudnative-pg.io',
          parameters: { barmanObjectName: 'database-backup', serverName: 'database-cnpg' },
        },
      },
    ]);
    assert.deepEqual(s.plugins, [
      {
        name: 'barman-cloud.cloudnative-pg.io',
        isWALArchiver: true,
        parameters: { barmanObjectName: 'database-backup', serverName: 'database-cnpg-replica' },
      },
    ]);
    assert.equal(s.imageName, 'ghcr.io/cloudnative-pg/postgresql:17');
    const d = spec('replica-cluster', { distributed: true });
    assert.deepEqual(d.replica, {
      primary: 'database-cnpg',
      self: 'database-cnpg-replica',
      source: 'database-cnpg',
    });
    assert.deepEqual(
      d.externalClusters.map((e: { name: string }) => e.name),
      ['database-cnpg', 'database-cnpg-replica'],
    );
  });

  it('produces the seed recovery cluster: PITR or latest, explicit source serverName, new archive', () => {
    const m = one('recovery-cluster', {
      target: checkRecoveryTarget({ targetTime: '2024-12-15T12:00:00Z' }),
    });
    // biome-ignore lint/suspicious/noExplicitAny: deep read
    const s = (m.object as K8sObject).spec as any;
    assert.equal((m.object as K8sObject).metadata.name, 'database-cnpg-recovered');
    assert.deepEqual(s.bootstrap, {
      recovery: { source: 'backup-source', recoveryTarget: { targetTime: '2024-12-15T12:00:00Z' } },
    });
    assert.deepEqual(s.externalClusters, [
      {
        name: 'backup-source',
        plugin: {
          name: 'barman-cloud.cloudnative-pg.io',
          parameters: { barmanObjectName: 'database-backup', serverName: 'database-cnpg' },
        },
      },
    ]);
    assert.equal(s.plugins[0].parameters.serverName, 'database-cnpg-recovered');
    assert.ok(m.notes.some((n) => n.includes('immutable')));
    assert.deepEqual(spec('recovery-cluster').bootstrap, { recovery: { source: 'backup-source' } });
    assert.match(
      errorOf(() => one('recovery-cluster', { archiveServerName: 'database-cnpg' })),
      /^USAGE: --archive-server-name 'database-cnpg' is the source's own serverName/,
    );
  });

  it('produces both promotion patches', () => {
    const m = one('promotion-patch');
    assert.deepEqual(m.object, { spec: { replica: { enabled: false } } });
    assert.equal(m.patchOf?.name, 'database-cnpg-replica');
    assert.deepEqual(one('promotion-patch', { promotionToken: 'abc=' }).object, {
      spec: { replica: { primary: 'database-cnpg-replica', promotionToken: 'abc=' } },
    });
  });

  const drillObjects = (src = seed) => buildManifests('drill-cronjob', src).map((m) => m.object as K8sObject);
  const cronOf = (objects: K8sObject[]) => objects.find((o) => o.kind === 'CronJob')!;

  it('produces a drill CronJob running pgdr k8s drill under its own ServiceAccount, with the webhook', () => {
    const objects = drillObjects();
    assert.deepEqual(
      objects.map((o) => `${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`),
      [
        'ConfigMap goingdark-social/database-cnpg-pgdr-drill',
        'ServiceAccount goingdark-social/database-cnpg-pgdr-drill',
        'Namespace /goingdark-social-pgdr-drill',
        'Role goingdark-social/database-cnpg-pgdr-drill',
        'RoleBinding goingdark-social/database-cnpg-pgdr-drill',
        'Role goingdark-social-pgdr-drill/database-cnpg-pgdr-drill',
        'RoleBinding goingdark-social-pgdr-drill/database-cnpg-pgdr-drill',
        'ClusterRole /pgdr-drill-goingdark-social-pgdr-drill',
        'ClusterRoleBinding /pgdr-drill-goingdark-social-pgdr-drill',
        'CronJob goingdark-social/database-cnpg-pgdr-drill',
      ],
    );
    const cm = objects[0]!;
    const pgdrYaml = (cm.data as Record<string, string>)['pgdr.yaml'] ?? '';
    assert.match(pgdrYaml, /^serverName: database-cnpg$/m);
    assert.doesNotMatch(pgdrYaml, /s3Credentials/);
    // biome-ignore lint/suspicious/noExplicitAny: deep read
    const pod = (cronOf(objects).spec as any).jobTemplate.spec.template.spec;
    assert.deepEqual(pod.containers[0].args, [
      'k8s',
      'drill',
      '--namespace',
      'goingdark-social-pgdr-drill',
      '--format',
      'json',
      '--notify',
      '$(PGDR_WEBHOOK)',
    ]);
    assert.equal(pod.serviceAccountName, 'database-cnpg-pgdr-drill');
    // The drill reads the bucket with the ObjectStore's Secret through the API: no credentials in the pod.
    assert.doesNotMatch(JSON.stringify(pod.containers[0].env), /AWS_/);
    assert.deepEqual(pod.containers[0].env[1], {
      name: 'PGDR_WEBHOOK',
      valueFrom: { secretKeyRef: { name: 'pgdr-drill-webhook', key: 'url' } },
    });
    assert.deepEqual(pod.volumes[0], { name: 'config', configMap: { name: cm.metadata.name } });
    assert.equal(pod.containers[0].image, 'ghcr.io/example/pgdr:0.1.0');
  });

  it('the drill CronJob passes kubernetes.drill.preset and database to pgdr k8s drill', () => {
    const objects = drillObjects(
      withK8s({ drill: { schedule: '0 2 1 * *', preset: 'mastodon', database: 'mastodon_production' } }),
    );
    // biome-ignore lint/suspicious/noExplicitAny: deep read
    const args = (cronOf(objects).spec as any).jobTemplate.spec.template.spec.containers[0].args;
    assert.deepEqual(args.slice(-4), ['--preset', 'mastodon', '--database', 'mastodon_production']);
  });

  it('the drill CronJob runs the image packaging/container builds unless kubernetes.drill.image names one', () => {
    const list = buildManifests('drill-cronjob', withK8s({ drill: { schedule: '0 2 1 * *' } }));
    const cron = list.find((m) => (m.object as K8sObject).kind === 'CronJob');
    assert.ok(cron);
    // biome-ignore lint/suspicious/noExplicitAny: deep read
    const pod = ((cron.object as K8sObject).spec as any).jobTemplate.spec.template.spec;
    assert.equal(pod.containers[0].image, `ghcr.io/pgdr/pgdr:${VERSION}`);
    assert.deepEqual(pod.securityContext, { runAsNonRoot: true, runAsUser: 26, runAsGroup: 26 });
    assert.ok(
      cron.notes.some((n) => n.includes(`ghcr.io/pgdr/pgdr:${VERSION}`) && n.includes('packaging/container')),
    );
  });

  it('the drill ConfigMap holds a pgdr config with the kubernetes section pgdr k8s drill reads', () => {
    const [cm] = drillObjects();
    assert.ok(cm);
    const raw = parse((cm.data as Record<string, string>)['pgdr.yaml'] ?? '');
    const p = new Problems();
    const c = buildConfig({ raw, env: {}, source: 'configmap', defaults: { jobs: 7 } }, p);
    assert.deepEqual(p.list, []);
    assert.equal(c?.serverName, 'database-cnpg');
    assert.equal(c?.objectStore.destinationPath, seed.config.objectStore.destinationPath);
    assert.deepEqual(
      [
        c?.kubernetes?.namespace,
        c?.kubernetes?.cluster,
        c?.kubernetes?.objectStore,
        c?.kubernetes?.credentialsSecret,
      ],
      [seed.k8s.namespace, seed.k8s.cluster, seed.k8s.objectStore, seed.k8s.credentialsSecret],
    );
  });
});
