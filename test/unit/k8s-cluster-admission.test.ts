import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clusterAdmissionProblems } from '../../src/k8s/cluster-admission.js';
import type { K8sObject } from '../../src/k8s/manifest-types.js';
import { buildManifests } from '../../src/k8s/manifests.js';
import { seedSource } from './k8s-fixtures.js';

const seed = seedSource();
// biome-ignore lint/suspicious/noExplicitAny: mutating copies of generated manifests on purpose
const copy = (kind: 'recovery-cluster' | 'replica-cluster'): any =>
  structuredClone(buildManifests(kind, seed)[0]?.object as K8sObject);
const problems = (m: unknown) => clusterAdmissionProblems(m).map((p) => `${p.path}: ${p.message}`);

describe('Cluster admission checks', () => {
  it('pass for the generated Clusters and ignore other kinds', () => {
    assert.deepEqual(problems(copy('recovery-cluster')), []);
    assert.deepEqual(problems(copy('replica-cluster')), []);
    assert.deepEqual(problems(buildManifests('objectstore', seed)[0]?.object), []);
  });

  it('catch a source that names no external cluster', () => {
    const m = copy('recovery-cluster');
    m.spec.bootstrap.recovery.source = 'backups';
    const r = copy('replica-cluster');
    r.spec.replica.source = 'database-cnpg-old';
    assert.deepEqual(problems(m), [
      '.spec.bootstrap.recovery.source: backups is not in spec.externalClusters',
    ]);
    assert.deepEqual(problems(r), [
      '.spec.replica.source: database-cnpg-old is not in spec.externalClusters',
    ]);
  });

  it('catch two recovery targets, a missing size and a long name', () => {
    const m = copy('recovery-cluster');
    m.spec.bootstrap.recovery.recoveryTarget = { targetXID: '5', targetImmediate: true };
    m.spec.storage = {};
    m.metadata.name = 'x'.repeat(51);
    assert.deepEqual(problems(m), [
      '.metadata.name: must be at most 50 characters',
      '.spec.bootstrap.recovery.recoveryTarget: only one of targetXID, targetImmediate may be set',
      '.spec.storage: needs size or pvcTemplate',
    ]);
  });

  it('catch a Cluster archiving into the serverName it recovers from', () => {
    const m = copy('recovery-cluster');
    m.spec.plugins[0].parameters.serverName = 'database-cnpg';
    assert.deepEqual(problems(m), [
      '.spec.externalClusters[0].plugin.parameters.serverName: is the serverName this Cluster archives to',
    ]);
  });
});
