import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { buildConfig, Problems } from '../../src/config/validate.js';
import { podConfig } from '../../src/k8s/drill-cronjob.js';
import type { K8sObject, ManifestSource } from '../../src/k8s/manifest-types.js';
import { buildManifests, MANIFEST_KINDS, type ManifestKind } from '../../src/k8s/manifests.js';
import { checkRecoveryTarget } from '../../src/k8s/recovery-target.js';
import { renderManifests } from '../../src/k8s/render.js';
import { assertValid, errorOf, firstManifest, registry, seedSource, withKubernetes } from './k8s-fixtures.js';

const seed = seedSource();
const one = (kind: ManifestKind, o = {}, src: ManifestSource = seed) => firstManifest(kind, src, o);
const withK8s = (k8s: Partial<ManifestSource['k8s']>) => withKubernetes(seed, k8s);

describe('k8s manifests', () => {
  it('the ObjectStore and the drill pod carry encryption, the KMS key, tags and --no-partial', () => {
    const objectStore = {
      ...seed.config.objectStore,
      wal: { ...seed.config.objectStore.wal, noPartial: true },
      uploads: {
        walEncryption: { method: 'AES256' as const },
        dataEncryption: { method: 'aws:kms' as const, kmsKeyId: 'alias/pg' },
        tags: [['team', 'dba'] as const],
        historyTags: [['kind', 'timeline'] as const],
      },
      endpointCA: '-----BEGIN CERTIFICATE-----\n',
    };
    const src = { ...seed, config: { ...seed.config, objectStore } };
    const m = one('objectstore', {}, src);
    assertValid(m);
    // biome-ignore lint/suspicious/noExplicitAny: reading the generated document
    const conf = (m.object as any).spec.configuration;
    assert.equal(conf.wal.encryption, 'AES256');
    assert.deepEqual(conf.wal.restoreAdditionalCommandArgs, ['--no-partial']);
    assert.equal(conf.data.encryption, 'aws:kms');
    assert.deepEqual(conf.data.additionalCommandArgs, ['--sse-kms-key-id=alias/pg']);
    assert.deepEqual(conf.tags, { team: 'dba' });
    assert.deepEqual(conf.historyTags, { kind: 'timeline' });
    assert.equal(conf.endpointCA, undefined);
    assert.ok(m.notes.some((n) => /endpointCA is not carried over/.test(n)));
    // The drill pod's pgdr.yaml reads back as the same settings (the CA aside: a note says so).
    const pod = podConfig(src.config);
    const p = new Problems();
    const back = buildConfig({ raw: pod, env: {}, source: 'pod', defaults: { jobs: 2 } }, p);
    assert.deepEqual(p.list, []);
    assert.deepEqual(back?.objectStore.uploads, objectStore.uploads);
    assert.equal(back?.objectStore.wal.noPartial, true);
  });

  it('every KIND validates strictly against the CRDs and core shapes', () => {
    for (const kind of MANIFEST_KINDS) for (const m of buildManifests(kind, seed)) assertValid(m);
  });

  it('every variant validates too', () => {
    const targets = [
      { targetTime: '2024-12-15 12:00:00' },
      { targetLSN: '0/7000028', exclusive: true },
      { targetXID: '1234' },
      { targetName: 'before-migration' },
      { targetImmediate: true, backupID: '20241215T060000' },
      { targetTime: '2024-12-15T12:00:00+01:00', targetTLI: 'latest' },
    ];
    for (const t of targets) assertValid(one('recovery-cluster', { target: checkRecoveryTarget(t) }));
    assertValid(one('recovery-cluster', { namespace: 'dr-drill', archiveServerName: 'drill-2024-12' }));
    const drill = one('recovery-cluster', { namespace: 'dr-drill', archive: false });
    assertValid(drill);
    assert.equal(((drill.object as K8sObject).spec as Record<string, unknown>).plugins, undefined);
    assertValid(one('replica-cluster', { distributed: true }));
    assertValid(one('promotion-patch', { promotionToken: 'eyJzeXN0ZW1JRCI6IjcyIn0=' }));
    assertValid(one('scheduled-backup', { schedule: '0 30 2 * * 0' }));
    assertValid(one('objectstore', {}, withK8s({ imageName: 'x' })));
    for (const m of buildManifests('drill-cronjob', withK8s({ drill: { schedule: '@weekly', image: 'i' } })))
      assertValid(m);
  });

  it('a misspelled field in a generated manifest is rejected with its path', () => {
    const m = one('recovery-cluster').object as K8sObject;
    // biome-ignore lint/suspicious/noExplicitAny: mutating a copy on purpose
    const bad: any = structuredClone(m);
    bad.spec.bootstrap.recovery.recoverTarget = { targetTime: '2024-12-15T12:00:00Z' };
    bad.spec.externalClusters[0].plugin.parameter = {};
    assert.deepEqual(
      registry()
        .validate(bad)
        .errors.map((e) => `${e.path}: ${e.message}`),
      [
        '.spec.bootstrap.recovery.recoverTarget: unknown field',
        '.spec.externalClusters[0].plugin.parameter: unknown field',
      ],
    );
    assert.deepEqual(
      registry().validate({ spec: { replica: { enable: false } } }, { as: one('promotion-patch').patchOf })
        .errors,
      [{ path: '.spec.replica.enable', message: 'unknown field' }],
    );
  });

  it('refuses what it cannot express rather than guessing', () => {
    assert.match(
      errorOf(() => one('replica-cluster', {}, withK8s({ storageSize: undefined }))),
      /^CONFIG_INVALID: kubernetes.storageSize is required/,
    );
    const redundancy: ManifestSource = {
      ...seed,
      config: { ...seed.config, retentionPolicy: 'REDUNDANCY 3' },
    };
    assert.match(
      errorOf(() => one('objectstore', {}, redundancy)),
      /cannot be expressed in an ObjectStore/,
    );
    assert.match(
      errorOf(() => checkRecoveryTarget({ targetTime: 'yesterday' })),
      /^USAGE: --target-time 'yesterday'/,
    );
    assert.match(
      errorOf(() => checkRecoveryTarget({ targetXID: '1', targetName: 'x' })),
      /choose one recovery target/,
    );
    assert.match(
      errorOf(() => checkRecoveryTarget({ targetLSN: '7000028' })),
      /is not an LSN/,
    );
  });

  it('normalizes target times to RFC 3339 with a zone', () => {
    assert.deepEqual(checkRecoveryTarget({ targetTime: '2024-12-15 12:00:00' }), {
      targetTime: '2024-12-15T12:00:00Z',
    });
    assert.deepEqual(checkRecoveryTarget({ targetTime: '2024-12-15 12:00:00+01' }), {
      targetTime: '2024-12-15T12:00:00+01:00',
    });
    assert.equal(checkRecoveryTarget({}), undefined);
  });

  it('renders one object or a List in JSON, and documents in YAML that parse back to the same objects', () => {
    const list = buildManifests('drill-cronjob', seed);
    const json = JSON.parse(renderManifests(list, 'json'));
    assert.equal(json.kind, 'List');
    assert.deepEqual(
      json.items,
      list.map((m) => m.object),
    );
    assert.deepEqual(
      JSON.parse(renderManifests(buildManifests('objectstore', seed), 'json')).kind,
      'ObjectStore',
    );
    const docs = parseAllDocuments(renderManifests(list, 'yaml')).map((d) => d.toJS());
    assert.deepEqual(
      docs,
      list.map((m) => m.object),
    );
    for (const d of docs) assert.deepEqual(registry().validate(d).errors, []);
  });
});
