// Pre-checks before a runbook changes anything: the source Cluster, the ObjectStore and the credentials Secret
// exist; the bucket answers with the Secret's credentials and holds DONE backups for the source serverName; a
// PITR target lies inside the recovery window; the new Cluster's archive serverName is still empty (the
// operator's "WAL archive check failed" otherwise, after the applications are already down).
import type { PgdrConfig } from '../../config/types.js';
import { inspectServer, type StatusResult } from '../../engine/status.js';
import { PgdrError } from '../../errors.js';
import type { ObjectStore } from '../../storage/object-store.js';
import { describeRef, type KubeApi, ref } from '../api/kube-api.js';
import { clusterAdmissionProblems } from '../cluster-admission.js';
import { clusterState } from '../cluster-state.js';
import {
  CNPG_API,
  type K8sObject,
  MANAGED_BY,
  type Manifest,
  type ManifestSource,
} from '../manifest-types.js';
import {
  type RecoveryClusterOptions as ClusterOptions,
  recoveryClusterManifest,
} from '../recovery-cluster.js';
import type { RecoveryTarget } from '../recovery-target.js';
import { openClusterBucket, readObjectStore } from './cluster-bucket.js';
import type { RecoveryClusterOptions, RunbookContext } from './runbook.js';

export interface PreCheckInput {
  readonly api: KubeApi;
  readonly config: PgdrConfig;
  readonly src: ManifestSource;
  /** The namespace the new Cluster goes to (a drill's scratch namespace may differ from the source's). */
  readonly namespace: string;
  readonly newCluster: string;
  /** undefined for a Cluster that does not archive (a drill). */
  readonly archiveServerName: string | undefined;
  readonly target?: RecoveryTarget | undefined;
  readonly now: Date;
  readonly signal?: AbortSignal | undefined;
}

export interface PreCheckResult {
  readonly lines: string[];
  readonly status: StatusResult;
  /** The recovery Cluster already exists, created by pgdr: a rerun picks it up instead of creating it. */
  readonly existing?: K8sObject | undefined;
}

/** The recovery Cluster's manifest, refused up front (USAGE) when CloudNativePG's admission would refuse it. */
export function admittedRecoveryCluster(
  src: ManifestSource,
  opts: ClusterOptions,
  what: string,
): { manifest: Manifest; cluster: K8sObject; name: string } {
  const manifest = recoveryClusterManifest(src, opts);
  const bad = clusterAdmissionProblems(manifest.object);
  if (bad.length)
    throw new PgdrError(
      'USAGE',
      `the ${what} would be refused: ${bad.map((b) => `${b.path}: ${b.message}`).join('; ')}`,
    );
  const cluster = manifest.object as K8sObject;
  return { manifest, cluster, name: cluster.metadata.name };
}

/** The pre-checks of a runbook that brings up a recovery Cluster (pitr, latest, drill), from its step. */
export function recoveryPreChecks(
  ctx: RunbookContext,
  o: RecoveryClusterOptions,
  to: Pick<PreCheckInput, 'namespace' | 'newCluster' | 'archiveServerName'>,
): Promise<PreCheckResult> {
  return preChecks({
    api: ctx.api,
    config: o.config,
    src: o.src,
    ...to,
    target: o.target,
    now: new Date(),
    signal: ctx.signal,
  });
}

async function preChecks(i: PreCheckInput): Promise<PreCheckResult> {
  const { api, src, signal } = i;
  const k = src.k8s;
  const lines: string[] = [];
  const sourceRef = ref(CNPG_API, 'Cluster', k.namespace, k.cluster);
  const source = await api.get(sourceRef, { signal });
  if (!source)
    throw new PgdrError('NOT_FOUND', `${describeRef(sourceRef)} does not exist`, {
      hint: `check kubernetes.namespace/cluster (kubectl get clusters.postgresql.cnpg.io -n ${k.namespace})`,
    });
  const s = clusterState(source);
  lines.push(`Cluster ${k.cluster}: ${s.phase}`);
  if (s.archiveServerName && s.archiveServerName !== src.config.serverName)
    lines.push(
      `note: ${k.cluster} archives under serverName ${s.archiveServerName}, pgdr's serverName is ${src.config.serverName}`,
    );
  const os = await readObjectStore(api, { namespace: k.namespace, objectStore: k.objectStore });
  lines.push(`ObjectStore ${k.objectStore}: present`);
  const bucket = await openClusterBucket(api, i.config, os);
  lines.push(`Secret ${k.credentialsSecret.name}: present, credentials read (not shown)`, ...bucket.notes);
  try {
    const status = await inspectServer({
      store: bucket.store,
      serverName: src.config.serverName,
      now: i.now,
      signal,
    });
    const done = status.report.doneBackups;
    if (done.length === 0)
      throw new PgdrError(
        'NO_BACKUPS',
        `serverName ${src.config.serverName} has no DONE backup in ${bucket.store.displayUrl}`,
        {
          hint: 'take a base backup first (kubectl apply -f <(pgdr k8s manifests backup)) and wait for it to complete',
        },
      );
    lines.push(
      `bucket ${bucket.store.displayUrl}: reachable with the Secret's credentials, ${done.length} DONE backup(s) of ${src.config.serverName}`,
    );
    if (i.target?.targetTime) lines.push(checkTargetTime(i.target.targetTime, status));
    const existing = await existingRecovery(api, i);
    if (existing) lines.push(`Cluster ${i.newCluster} already exists (created by pgdr): a rerun picks it up`);
    else if (i.archiveServerName)
      lines.push(await checkArchiveEmpty(bucket.store, i.archiveServerName, signal));
    return { lines, status, existing };
  } finally {
    await bucket.store.close();
  }
}

/** PostgreSQL cannot stop before the end of a backup, and ends with an error after the last archived WAL. */
function checkTargetTime(targetTime: string, status: StatusResult): string {
  const t = Date.parse(targetTime);
  const cur = status.report.current;
  const first = cur?.firstRecoverabilityPoint?.time?.date;
  const last = cur?.window?.to.lastModified ?? cur?.lastSegment?.lastModified;
  if (first && t < first.getTime())
    throw new PgdrError(
      'TARGET_TOO_EARLY',
      `target ${targetTime} is before the end of the oldest backup (${first.toISOString()})`,
      {
        hint: `the recovery window starts at ${first.toISOString()}: pgdr status shows it`,
      },
    );
  if (last && t > last.getTime())
    throw new PgdrError(
      'TARGET_TOO_LATE',
      `target ${targetTime} is after the last archived WAL (${last.toISOString()})`,
      {
        hint: 'recovery would end before reaching it and the Cluster would not start: use pgdr k8s latest, or an earlier time',
      },
    );
  return `target ${targetTime} is inside the recovery window (${first?.toISOString() ?? '?'} .. ${last?.toISOString() ?? '?'})`;
}

async function existingRecovery(api: KubeApi, i: PreCheckInput): Promise<K8sObject | undefined> {
  const r = ref(CNPG_API, 'Cluster', i.namespace, i.newCluster);
  const c = await api.get(r, { signal: i.signal });
  if (!c) return undefined;
  const labels = c.metadata.labels ?? {};
  const key = Object.keys(MANAGED_BY)[0] as keyof typeof MANAGED_BY;
  if (labels[key] !== MANAGED_BY[key])
    throw new PgdrError('CONFLICT', `${describeRef(r)} already exists and was not created by pgdr`, {
      hint: `choose another name with --name, or delete it yourself if it is a leftover (pgdr never deletes it)`,
    });
  return c;
}

async function checkArchiveEmpty(
  store: ObjectStore,
  serverName: string,
  signal?: AbortSignal,
): Promise<string> {
  const below = await store.list(`${serverName}/`, { delimiter: '/', signal });
  if (below.objects.length === 0 && below.prefixes.length === 0)
    return `archive serverName ${serverName}: empty (the operator's WAL archive check will pass)`;
  const taken = new Set(
    (await store.list('', { delimiter: '/', signal })).prefixes.map((p) => p.slice(0, -1)),
  );
  let n = 2;
  while (taken.has(`${serverName}-${n}`)) n++;
  throw new PgdrError(
    'ARCHIVE_NOT_EMPTY',
    `serverName ${serverName} already holds data in ${store.displayUrl}`,
    {
      hint: `CloudNativePG would fail with "WAL archive check failed": use a new one, e.g. --archive-server-name ${serverName}-${n}`,
    },
  );
}
