// Cross-field checks of a Cluster that the CRD schema cannot express and CloudNativePG's admission webhook
// (or the operator, later and less visibly) enforces; plus pgdr's own rule that a Cluster never archives into
// the serverName it recovers from. Runbooks run these before applying anything.
import { type Obj, obj } from './object-fields.js';
import type { SchemaProblem } from './validate-value.js';

const arr = (v: unknown): Obj[] => (Array.isArray(v) ? v.map(obj) : []);

const STOP_TARGETS = ['targetTime', 'targetXID', 'targetName', 'targetLSN', 'targetImmediate'];

export function clusterAdmissionProblems(manifest: unknown): SchemaProblem[] {
  const m = obj(manifest);
  if (m.kind !== 'Cluster') return [];
  const out: SchemaProblem[] = [];
  const add = (path: string, message: string) => out.push({ path, message });
  const name = obj(m.metadata).name;
  // Pods, PVCs and jobs append suffixes such as `-1-full-recovery` to the Cluster name.
  if (typeof name === 'string' && name.length > 50) add('.metadata.name', 'must be at most 50 characters');
  const spec = obj(m.spec);
  const external = arr(spec.externalClusters);
  const names = external.map((e) => e.name);
  names.forEach((n, i) => {
    if (names.indexOf(n) !== i)
      add(`.spec.externalClusters[${i}].name`, `duplicate external cluster ${String(n)}`);
  });
  const known = (ref: unknown, path: string) => {
    if (ref !== undefined && !names.includes(ref))
      add(path, `${String(ref)} is not in spec.externalClusters`);
  };
  const recovery = obj(obj(spec.bootstrap).recovery);
  known(recovery.source, '.spec.bootstrap.recovery.source');
  const target = obj(recovery.recoveryTarget);
  const stops = STOP_TARGETS.filter((k) => target[k] !== undefined && target[k] !== false);
  if (stops.length > 1)
    add('.spec.bootstrap.recovery.recoveryTarget', `only one of ${stops.join(', ')} may be set`);
  if (typeof target.targetTime === 'string' && Number.isNaN(Date.parse(target.targetTime)))
    add('.spec.bootstrap.recovery.recoveryTarget.targetTime', 'is not a valid time');
  const replica = obj(spec.replica);
  known(replica.source, '.spec.replica.source');
  if (replica.primary !== undefined && replica.enabled !== undefined)
    add('.spec.replica', 'use either enabled (standalone) or primary/self (distributed), not both');
  if (replica.promotionToken !== undefined && replica.primary !== (replica.self ?? name))
    add('.spec.replica.promotionToken', 'only applies when primary names this Cluster');
  const storage = obj(spec.storage);
  if (storage.size === undefined && storage.pvcTemplate === undefined)
    add('.spec.storage', 'needs size or pvcTemplate');
  const plugins = arr(spec.plugins);
  const archivers = plugins.filter((p) => p.isWALArchiver === true && p.enabled !== false);
  if (archivers.length > 1) add('.spec.plugins', 'only one plugin may be the WAL archiver');
  const key = (p: Obj) =>
    JSON.stringify([obj(p.parameters).barmanObjectName, obj(p.parameters).serverName ?? name]);
  const archiving = archivers[0] ? key(archivers[0]) : undefined;
  external.forEach((e, i) => {
    if (
      archiving !== undefined &&
      e.plugin !== undefined &&
      key(obj(e.plugin)) === archiving &&
      e.name !== name
    )
      add(
        `.spec.externalClusters[${i}].plugin.parameters.serverName`,
        'is the serverName this Cluster archives to',
      );
  });
  return out;
}
