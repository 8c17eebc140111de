import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isTransitionRule, KNOWN_RULES } from '../../src/k8s/cel-rules.js';
import type { Schema } from '../../src/k8s/openapi-schema.js';
import { loadCrd } from '../../src/k8s/validate-crd.js';
import { CRD_DIR, registry } from './k8s-fixtures.js';

const store = (configuration: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'barmancloud.cnpg.io/v1',
  kind: 'ObjectStore',
  metadata: { name: 'database-backup', namespace: 'goingdark-social' },
  spec: { configuration: { destinationPath: 's3://mastovault/x', ...configuration }, ...extra },
});
const cluster = (spec: Record<string, unknown>) => ({
  apiVersion: 'postgresql.cnpg.io/v1',
  kind: 'Cluster',
  metadata: { name: 'c' },
  spec: { instances: 1, ...spec },
});
const errors = (m: unknown) =>
  registry()
    .validate(m)
    .errors.map((e) => `${e.path}: ${e.message}`);

describe('strict CRD validation', () => {
  it('loads the CloudNativePG and Prometheus operator CRDs and the core shapes', () => {
    assert.deepEqual(registry().kinds().sort(), [
      'apps/v1/Deployment',
      'barmancloud.cnpg.io/v1/ObjectStore',
      'batch/v1/CronJob',
      'monitoring.coreos.com/v1/PrometheusRule',
      'monitoring.coreos.com/v1/ServiceMonitor',
      'postgresql.cnpg.io/v1/Backup',
      'postgresql.cnpg.io/v1/Cluster',
      'postgresql.cnpg.io/v1/Pooler',
      'postgresql.cnpg.io/v1/ScheduledBackup',
      'rbac.authorization.k8s.io/v1/ClusterRole',
      'rbac.authorization.k8s.io/v1/ClusterRoleBinding',
      'rbac.authorization.k8s.io/v1/Role',
      'rbac.authorization.k8s.io/v1/RoleBinding',
      'v1/ConfigMap',
      'v1/Namespace',
      'v1/Service',
      'v1/ServiceAccount',
    ]);
  });

  it('rejects a misspelled field with its path instead of pruning it', () => {
    assert.deepEqual(errors(store({ wal: { compresion: 'gzip' } })), [
      '.spec.configuration.wal.compresion: unknown field',
    ]);
    assert.deepEqual(errors(cluster({ plugins: [{ name: 'p', isWalArchiver: true }] })), [
      '.spec.plugins[0].isWalArchiver: unknown field',
    ]);
    assert.deepEqual(errors({ ...cluster({}), metadata: { name: 'c', label: {} } }), [
      '.metadata.label: unknown field',
    ]);
  });

  it('checks types, enums, minimum, minLength, pattern and required', () => {
    assert.deepEqual(errors(store({ wal: { compression: 'brotli', maxParallel: 0 }, destinationPath: '' })), [
      '.spec.configuration.destinationPath: must be at least 1 characters long',
      '.spec.configuration.wal.compression: unsupported value "brotli": supported values: "bzip2", "gzip", "lz4", "snappy", "xz", "zstd"',
      '.spec.configuration.wal.maxParallel: must be greater than or equal to 1',
    ]);
    assert.deepEqual(errors(store({}, { retentionPolicy: '14 days' })), [
      '.spec.retentionPolicy: "14 days" does not match the pattern ^[1-9][0-9]*[dwm]$',
    ]);
    assert.deepEqual(errors(cluster({ instances: '1' })), [
      '.spec.instances: must be of type integer, not string',
    ]);
    assert.deepEqual(errors(cluster({ replica: { enabled: true } })), [
      '.spec.replica.source: required value',
    ]);
    assert.deepEqual(errors({ apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', metadata: {} }), [
      '.spec: required value',
      '.metadata.name: required value',
    ]);
  });

  it('accepts string maps (additionalProperties) and checks their values', () => {
    assert.deepEqual(errors(cluster({ plugins: [{ name: 'p', parameters: { a: 'b' } }] })), []);
    assert.deepEqual(errors(cluster({ plugins: [{ name: 'p', parameters: { a: 1 } }] })), [
      '.spec.plugins[0].parameters.a: must be of type string, not integer',
    ]);
  });

  it('accepts integer or string quantities and applies their pattern to strings', () => {
    const resources = (v: unknown) => cluster({ resources: { requests: { memory: v } } });
    assert.deepEqual(errors(resources('512Mi')), []);
    assert.deepEqual(errors(resources(512)), []);
    assert.equal(errors(resources('lots')).length, 1);
    assert.match(
      errors(resources(true))[0] ?? '',
      /^\.spec\.resources\.requests\.memory: must be an integer or a string/,
    );
  });

  it('keeps unknown fields where the schema preserves them', () => {
    const crd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
spec:
  group: example.com
  names: { kind: Thing }
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              x-kubernetes-preserve-unknown-fields: true
              properties: { size: { type: integer, maximum: 3 } }
`;
    const reg = registry();
    for (const k of loadCrd(crd)) reg.add(k);
    const thing = (spec: unknown) => ({
      apiVersion: 'example.com/v1',
      kind: 'Thing',
      metadata: { name: 't' },
      spec,
    });
    assert.deepEqual(errors(thing({ anything: { goes: 1 }, size: 3 })), []);
    assert.deepEqual(errors(thing({ size: 4 })), ['.spec.size: must be less than or equal to 3']);
  });

  it('enforces the CEL rules it knows, by their text', () => {
    assert.deepEqual(errors(store({ serverName: 'database-cnpg' })), [
      ".spec.configuration.serverName: use the 'serverName' plugin parameter in the Cluster resource",
    ]);
    assert.deepEqual(
      errors(
        cluster({
          imageName: 'x',
          imageCatalogRef: { apiGroup: 'postgresql.cnpg.io', kind: 'ImageCatalog', name: 'n', major: 17 },
        }),
      ),
      ['.spec: imageName and imageCatalogRef are mutually exclusive'],
    );
  });

  it('knows every CEL rule of the five CRDs that applies on create', () => {
    const rules: string[] = [];
    const walk = (s: Schema | undefined): void => {
      if (!s) return;
      for (const r of s['x-kubernetes-validations'] ?? []) if (!isTransitionRule(r.rule)) rules.push(r.rule);
      for (const sub of Object.values(s.properties ?? {})) walk(sub);
      walk(s.items);
      if (typeof s.additionalProperties === 'object') walk(s.additionalProperties);
    };
    for (const f of readdirSync(CRD_DIR))
      for (const k of loadCrd(readFileSync(join(CRD_DIR, f), 'utf8'))) walk(k.schema);
    assert.ok(rules.length >= 13);
    assert.deepEqual(
      rules.filter((r) => !(r in KNOWN_RULES)),
      [],
    );
  });

  it('reports a CEL rule it cannot evaluate instead of passing it silently', () => {
    const crd = `kind: CustomResourceDefinition
spec:
  group: example.org
  names: { kind: Gadget }
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties: { size: { type: integer } }
              x-kubernetes-validations: [{ rule: 'self.size % 2 == 0', message: 'size must be even' }]
`;
    const reg = registry();
    for (const k of loadCrd(crd)) reg.add(k);
    const r = reg.validate({
      apiVersion: 'example.org/v1',
      kind: 'Gadget',
      metadata: { name: 'g' },
      spec: { size: 3 },
    });
    assert.deepEqual(r, {
      errors: [],
      unchecked: [{ path: '.spec', rule: 'self.size % 2 == 0', message: 'size must be even' }],
    });
  });

  it('rejects duplicate keys in list maps', () => {
    const m = cluster({
      postgresql: {
        extensions: [
          { name: 'a', image: { reference: 'x' } },
          { name: 'a', image: { reference: 'y' } },
        ],
      },
    });
    assert.deepEqual(errors(m), ['.spec.postgresql.extensions[1]: duplicate entry (same name as [0])']);
  });

  it('refuses a schema keyword it does not implement', () => {
    const crd = `kind: CustomResourceDefinition
spec:
  group: g
  names: { kind: K }
  versions: [{ name: v1, served: true, storage: true, schema: { openAPIV3Schema: { type: object, properties: { a: { type: string, contains: {} } } } } }]
`;
    assert.throws(() => loadCrd(crd), /schema K\.a: unsupported keyword contains/);
  });
});
