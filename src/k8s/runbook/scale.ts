// Scaling the applications and the pooler to 0 during a recovery, and back to what they had. The counts are
// written to a ConfigMap *before* anything is scaled, so a rerun after a crash (or `--scale-back`) restores the
// real counts instead of the zeros it would read.
import type { KubernetesConfig } from '../../config/kubernetes-types.js';
import { PgdrError } from '../../errors.js';
import { type KubeApi, type ObjectRef, ref } from '../api/kube-api.js';
import { CNPG_API, MANAGED_BY, type Manifest } from '../manifest-types.js';

export interface ScaleTarget {
  readonly ref: ObjectRef;
  /** The ConfigMap key: `Deployment.mastodon-web`. */
  readonly key: string;
}

export const replicasConfigMapName = (k: Pick<KubernetesConfig, 'cluster'>): string =>
  `${k.cluster}-pgdr-replicas`;

const target = (apiVersion: string, kind: string, ns: string, name: string): ScaleTarget => ({
  ref: ref(apiVersion, kind, ns, name),
  key: `${kind}.${name}`,
});

/**
 * The applications, then the pooler. A CloudNativePG Pooler is scaled through its own /scale (spec.instances):
 * scaling its Deployment, as the runbook does, is undone by the operator at its next reconcile.
 */
export async function scaleTargets(api: KubeApi | undefined, k: KubernetesConfig): Promise<ScaleTarget[]> {
  const apps = k.applications.map((a) => target('apps/v1', 'Deployment', k.namespace, a));
  if (!k.pooler) return apps;
  const pooler = target(CNPG_API, 'Pooler', k.namespace, k.pooler);
  if (!api || (await api.get(pooler.ref))) return [...apps, pooler];
  return [...apps, target('apps/v1', 'Deployment', k.namespace, k.pooler)];
}

export function replicasConfigMap(k: KubernetesConfig, counts: Readonly<Record<string, string>>): Manifest {
  return {
    object: {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: replicasConfigMapName(k),
        namespace: k.namespace,
        labels: { ...MANAGED_BY },
        annotations: { 'pgdr.io/cluster': k.cluster },
      },
      data: counts,
    },
    notes: [
      'Replica counts before pgdr scaled them to 0: `--scale-back` (or --switch) restores them from here.',
    ],
  };
}

/** Reads what a rerun must not lose: counts already remembered win over the (possibly zero) current ones. */
export async function rememberReplicas(
  api: KubeApi,
  k: KubernetesConfig,
  targets: readonly ScaleTarget[],
  signal?: AbortSignal,
): Promise<{ counts: Record<string, string>; reused: boolean }> {
  const cmRef = ref('v1', 'ConfigMap', k.namespace, replicasConfigMapName(k));
  const existing = await api.get(cmRef, { signal });
  const known = { ...((existing?.data as Record<string, string> | undefined) ?? {}) };
  const missing: Record<string, string> = {};
  for (const t of targets) {
    if (known[t.key] !== undefined) continue;
    missing[t.key] = String(await readScale(api, t, signal));
  }
  if (!existing) await api.create(replicasConfigMap(k, missing).object as never, { signal });
  else if (Object.keys(missing).length) await api.mergePatch(cmRef, { data: missing }, { signal });
  return { counts: { ...missing, ...known }, reused: existing !== undefined };
}

async function readScale(api: KubeApi, t: ScaleTarget, signal?: AbortSignal): Promise<number> {
  if (!(await api.get(t.ref, { signal })))
    throw new PgdrError('NOT_FOUND', `${t.ref.kind} ${t.ref.namespace}/${t.ref.name} does not exist`, {
      hint: 'fix kubernetes.applications / kubernetes.pooler in the configuration (names of Deployments and the Pooler)',
    });
  return api.getScale(t.ref, { signal });
}

export async function scaleAll(
  api: KubeApi,
  targets: readonly ScaleTarget[],
  replicas: (t: ScaleTarget) => number,
  signal?: AbortSignal,
): Promise<string[]> {
  const done: string[] = [];
  for (const t of targets) {
    const n = replicas(t);
    await api.setScale(t.ref, n, { signal });
    done.push(`${t.ref.name}=${n}`);
  }
  return done;
}

/** Restores the remembered counts and removes the record; NOT_FOUND when nothing was remembered. */
export async function scaleBack(
  api: KubeApi,
  k: KubernetesConfig,
  targets: readonly ScaleTarget[],
  signal?: AbortSignal,
): Promise<string[]> {
  const cmRef = ref('v1', 'ConfigMap', k.namespace, replicasConfigMapName(k));
  const cm = await api.get(cmRef, { signal });
  if (!cm)
    throw new PgdrError(
      'NOT_FOUND',
      `no remembered replica counts (ConfigMap ${k.namespace}/${cmRef.name})`,
      {
        hint: 'nothing was scaled down by pgdr, or the counts were already restored: scale by hand if needed',
      },
    );
  const counts = (cm.data as Record<string, string> | undefined) ?? {};
  const known = targets.filter((t) => counts[t.key] !== undefined);
  // Applications first would reconnect through a pooler still at 0: restore in reverse (pooler first).
  const done = await scaleAll(api, [...known].reverse(), (t) => Number(counts[t.key]), signal);
  await api.delete(cmRef, { signal });
  return done;
}
