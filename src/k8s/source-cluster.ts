// What a new Cluster (recovery, replica, drill) takes over from the live source Cluster. A hot standby refuses
// to start with a lower max_connections (and other hot-standby-sensitive settings) than the primary had, so a
// recovery Cluster built from pgdr's config alone can fail to recover; the rest (image, libraries, resources,
// storage, the application database) should match so the copy behaves as the original.
import { PgdrError } from '../errors.js';
import type { K8sObject } from './manifest-types.js';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined;

/** The source Cluster and where it was read, for notes ("Cluster NS/NAME (live)", "file cluster.yaml"). */
export interface SourceCluster {
  readonly object: K8sObject;
  readonly origin: string;
}

/** postgresql fields that must match (parameters, libraries, extensions) or that the applications rely on. */
const POSTGRESQL_FIELDS = ['parameters', 'shared_preload_libraries', 'extensions', 'pg_hba', 'pg_ident'];

export interface CarriedSpec {
  /** Fields for the new Cluster's spec (bootstrap excluded). */
  readonly spec: Obj;
  /** database/owner/secret for bootstrap.recovery: the source's application database. */
  readonly recovery: Obj;
  /** What was taken over, for the notes and --dry-run. */
  readonly fields: readonly string[];
}

export interface CarryOptions {
  /** spec.instances; default the source's. */
  readonly instances?: number | undefined;
  /** Configured storage size: the larger of it and the source's is used. */
  readonly storageSize?: string | undefined;
  /**
   * Another namespace (a drill): references to Secrets and ConfigMaps of the source's namespace would not
   * resolve there, and a throw-away Cluster must not be scraped, so the bootstrap secret and monitoring stay.
   */
  readonly scratch?: boolean | undefined;
}

export function carryOver(source: SourceCluster, o: CarryOptions = {}): CarriedSpec {
  const spec = obj(source.object.spec);
  if (source.object.kind !== 'Cluster' || !spec)
    throw new PgdrError('USAGE', `${source.origin} is not a CloudNativePG Cluster with a spec`, {
      hint: 'give the source Cluster as kubectl prints it: kubectl get cluster NAME -n NS -o yaml',
    });
  const out: Obj = {};
  const fields: string[] = [];
  const take = (key: string, value: unknown, label = key) => {
    if (value === undefined) return;
    out[key] = structuredClone(value);
    fields.push(label);
  };
  const instances = o.instances ?? (typeof spec.instances === 'number' ? spec.instances : undefined);
  take(
    'instances',
    instances,
    `instances (${instances}${o.instances !== undefined ? ', from --instances' : ''})`,
  );
  take('imageName', spec.imageName);
  take('imageCatalogRef', spec.imageCatalogRef);
  const pg = obj(spec.postgresql);
  if (pg) {
    const kept = Object.fromEntries(
      POSTGRESQL_FIELDS.filter((f) => pg[f] !== undefined).map((f) => [f, pg[f]]),
    );
    const params = Object.keys(obj(pg.parameters) ?? {});
    if (Object.keys(kept).length)
      take(
        'postgresql',
        kept,
        `postgresql (${Object.keys(kept)
          .map((f) => (f === 'parameters' ? `parameters: ${params.join(', ')}` : f))
          .join('; ')})`,
      );
  }
  take('resources', spec.resources);
  for (const key of ['storage', 'walStorage'] as const) {
    const s = obj(spec[key]);
    if (!s) continue;
    const size = key === 'storage' ? largerSize(s.size, o.storageSize) : s.size;
    take(key, { ...s, ...(size !== undefined ? { size } : {}) }, `${key} (${String(size ?? 'pvcTemplate')})`);
  }
  take('affinity', spec.affinity);
  if (!o.scratch) take('monitoring', spec.monitoring);
  const recovery: Obj = {};
  const bootstrap = obj(spec.bootstrap);
  const app = obj(bootstrap?.initdb) ?? obj(bootstrap?.recovery) ?? obj(bootstrap?.pg_basebackup) ?? {};
  for (const f of ['database', 'owner', ...(o.scratch ? [] : ['secret'])])
    if (app[f] !== undefined) recovery[f] = structuredClone(app[f]);
  if (Object.keys(recovery).length)
    fields.push(
      `bootstrap.recovery ${Object.entries(recovery)
        .map(([k, v]) => `${k} ${typeof v === 'string' ? v : String(obj(v)?.name)}`)
        .join(', ')}`,
    );
  return { spec: out, recovery, fields };
}

const UNITS: Record<string, number> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** Bytes of a Kubernetes quantity (`20Gi`, `500M`, `1.5Ti`); undefined when it is not one. */
export function quantityBytes(q: unknown): number | undefined {
  if (typeof q !== 'string') return undefined;
  const m = /^([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|[kMGTPE])?$/.exec(q.trim());
  if (!m) return undefined;
  return Number(m[1]) * (UNITS[m[2] ?? ''] ?? 1);
}

/** The larger of two sizes: a copy must hold what the source holds. */
function largerSize(source: unknown, configured: string | undefined): string | undefined {
  const s = quantityBytes(source);
  const c = quantityBytes(configured);
  if (s === undefined) return configured ?? (typeof source === 'string' ? source : undefined);
  if (c === undefined || c <= s) return source as string;
  return configured;
}
