// The runbook's troubleshooting section, turned into checks of what the API and the bucket show: a recovery stuck
// in "Setting up primary" because its serverName has no backups, "WAL archive check failed" because the
// archive serverName is taken, a replica not catching up, archiving failing, applications left scaled down,
// and the runbook's rename step that cannot work.
import { type ClusterState, condition, isReady } from './cluster-state.js';

type DiagnosisLevel = 'error' | 'warn' | 'info';

export interface Diagnosis {
  readonly level: DiagnosisLevel;
  readonly cluster: string;
  readonly finding: string;
  readonly advice: string;
}

export type Role = 'source' | 'replica' | 'recovered';

export interface BucketFacts {
  /** Server folders under the destination, and their DONE backup counts (0: WAL only). */
  readonly servers: ReadonlyMap<string, number>;
  /** Age of the newest archived WAL per server name read (ms), null when it has none. */
  readonly newestWalAgeMs: ReadonlyMap<string, number | null>;
}

export interface DiagnoseInput {
  readonly clusters: ReadonlyArray<{ readonly role: Role; readonly state: ClusterState }>;
  readonly bucket?: BucketFacts | undefined;
  /** Replica counts pgdr remembered while scaling down (its ConfigMap), when present. */
  readonly scaledDown?: Readonly<Record<string, string>> | undefined;
  readonly originalName: string;
  readonly now: Date;
  /** How long a WAL may be old before a replica cannot be current (default 1 h). */
  readonly maxWalAgeMs?: number;
  /** How long "Setting up primary" may last before it is called stuck (default 30 min). */
  readonly stuckAfterMs?: number;
}

const ARCHIVE_CHECK = /WAL archive check failed|expected empty archive/i;

export function diagnose(i: DiagnoseInput): Diagnosis[] {
  const out: Diagnosis[] = [];
  const maxWal = i.maxWalAgeMs ?? 3_600_000;
  const taken = new Set(i.bucket?.servers.keys() ?? []);
  const freeName = (base: string) => {
    let n = 2;
    while (taken.has(`${base}-${n}`)) n++;
    return `${base}-${n}`;
  };
  const withBackups = () =>
    [...(i.bucket?.servers ?? new Map<string, number>())].filter(([, n]) => n > 0).map(([s]) => s);

  for (const { role, state: s } of i.clusters) {
    const add = (level: DiagnosisLevel, finding: string, advice: string) =>
      out.push({ level, cluster: s.name, finding, advice });
    const texts = [s.phase, s.phaseReason ?? '', ...s.conditions.map((c) => `${c.reason} ${c.message}`)];
    if (texts.some((t) => ARCHIVE_CHECK.test(t))) {
      const archive = s.archiveServerName ?? s.name;
      add(
        'error',
        `"WAL archive check failed": serverName ${archive} already holds WAL in the bucket`,
        `the operator never archives into a non-empty serverName: recreate the Cluster with a new one, e.g. ${freeName(archive)} (pgdr k8s pitr|latest --archive-server-name ${freeName(archive)})`,
      );
    }
    const settingUp = /setting up primary/i.test(s.phase) && !isReady(s);
    if (settingUp && i.bucket) {
      const missing = s.sourceServerNames.filter((n) => (i.bucket?.servers.get(n) ?? 0) === 0);
      if (missing.length)
        add(
          'error',
          `stuck in "Setting up primary": it recovers from serverName ${missing.join(', ')}, which has no backups in the bucket`,
          `server names with backups: ${withBackups().join(', ') || 'none'}; set externalClusters[].plugin.parameters.serverName to one of them (pgdr k8s latest --server-name NAME) and recreate the Cluster`,
        );
      else if (s.createdAt && i.now.getTime() - Date.parse(s.createdAt) > (i.stuckAfterMs ?? 1_800_000))
        add(
          'warn',
          `in "Setting up primary" since ${s.createdAt}: the recovery is slow or failing`,
          `kubectl logs ${s.name}-1-full-recovery -n ${s.namespace} (restore job) and ${s.name}-1 -c postgres (WAL replay)`,
        );
    }
    const archiving = condition(s, 'ContinuousArchiving');
    if (archiving?.status === 'False' && !ARCHIVE_CHECK.test(`${archiving.reason} ${archiving.message}`))
      add(
        'error',
        `WAL archiving is failing: ${archiving.message || archiving.reason}`,
        'every minute without archiving is lost in a disaster: check the ObjectStore credentials and endpoint (pgdr check)',
      );
    if (role === 'replica') {
      const src = s.sourceServerNames[0];
      const age = src !== undefined ? i.bucket?.newestWalAgeMs.get(src) : undefined;
      if (!isReady(s))
        add(
          'warn',
          `replica not catching up: ${s.phase}, ${s.readyInstances}/${s.wanted} ready`,
          `kubectl logs ${s.name}-1 -n ${s.namespace} -c postgres | tail -100; it follows serverName ${src ?? '?'}, which must have WAL in the bucket`,
        );
      if (src !== undefined && i.bucket && !i.bucket.servers.has(src))
        add(
          'error',
          `replica follows serverName ${src}, which is not in the bucket`,
          `server names found: ${[...taken].join(', ') || 'none'}`,
        );
      else if (age === null || (age !== undefined && age > maxWal))
        add(
          'warn',
          `the source serverName ${src} ${age === null ? 'has no archived WAL' : `archived its newest WAL ${Math.round(age / 60_000)} min ago`}: the replica cannot be more current than that`,
          'check the source Cluster archiving (ContinuousArchiving condition)',
        );
    }
    if (role === 'recovered')
      add(
        'info',
        `metadata.name is immutable: the runbook's "kubectl patch ... /metadata/name" cannot rename ${s.name} to ${i.originalName}`,
        `point the applications at ${s.writeService} (pgdr k8s pitr|latest --switch repoints the Pooler), or back ${s.name} up and recreate ${i.originalName} from that backup`,
      );
  }
  if (i.scaledDown && Object.keys(i.scaledDown).length)
    out.push({
      level: 'warn',
      cluster: i.originalName,
      finding: `applications scaled down by pgdr (remembered: ${Object.entries(i.scaledDown)
        .map(([k, v]) => `${k.replace(/^\w+\./, '')}=${v}`)
        .join(', ')})`,
      advice:
        'pgdr k8s latest|pitr --switch finishes the switch; --scale-back restores them on the original Cluster',
    });
  const rank = { error: 0, warn: 1, info: 2 };
  return out.sort((a, b) => rank[a.level] - rank[b.level]);
}
