import { statusJson } from '../../engine/status-json.js';
import { ERRORS } from '../../errors.js';
import { condition } from '../../k8s/cluster-state.js';
import { type K8sStatus, k8sStatus } from '../../k8s/runbook/k8s-status.js';
import { FORMAT_FLAG, oneOf, parse, positionals, STORE_FLAGS } from '../args.js';
import { STORE_USAGE } from '../context.js';
import type { CliContext, Command } from '../main.js';
import { json, line } from '../output.js';
import { KUBE_FLAGS, KUBE_USAGE } from './k8s-common.js';
import { replicaLagJson, replicaLagText } from './k8s-replica-status.js';
import { k8sTarget, TARGET_USAGE_LINES } from './k8s-target.js';
import { statusText } from './status.js';

const NAME = 'k8s status';

export const k8sStatusCommand: Command = {
  name: NAME,
  summary:
    'Kubernetes: Cluster phase, conditions, instances, timeline, archiving, the recovery window, diagnoses',
  usage: `Usage: pgdr k8s status [CLUSTER] [-n NS] [--format table|json] [Kubernetes options] [store options]

Read-only. Shows the source Cluster (CLUSTER, else kubernetes.cluster), the replica and the recovered Cluster
(<cluster>-replica, <cluster>-recovered) when they exist: phase, conditions, instances, primary, timeline, the
ContinuousArchiving condition and services; then the bucket's recovery window, read through the ObjectStore
with the credentials of its Secret; then the replica's replay lag against the bucket and its verdict (as
pgdr k8s replica-status). Diagnoses the
runbook's troubleshooting cases: a recovery stuck in "Setting up primary" because its serverName has no backups
(naming the ones that have), "WAL archive check failed" (proposing a free serverName), a replica not catching
up, failing archiving, applications left scaled down by pgdr, and the rename that metadata.name forbids.

Exit code: 0 nothing found, 50 warnings, 51 errors (as pgdr check).

${TARGET_USAGE_LINES}

${KUBE_USAGE}

${STORE_USAGE}`,
  run: statusRun,
};

async function statusRun(argv: string[], ctx: CliContext): Promise<number> {
  const flags = {
    ...STORE_FLAGS,
    ...KUBE_FLAGS,
    ...FORMAT_FLAG,
    namespace: { type: 'string', short: 'n' },
  } as const;
  const p = parse(argv, flags, NAME);
  const [cluster] = positionals(p, NAME, 0, 1, 'CLUSTER');
  const format = oneOf(p, 'format', ['table', 'json'] as const, 'table', NAME);
  const { api, config, src, via } = await k8sTarget(p, ctx, NAME, cluster);
  const s = await k8sStatus(api, config, src, { now: new Date(), signal: ctx.signal });
  if (format === 'json') json(ctx, { found: via, serverName: config.serverName, ...toJson(s) });
  else line(ctx, `${via}\n\n${text(s, src.k8s.namespace)}`);
  if (s.diagnoses.some((d) => d.level === 'error')) return ERRORS.CHECKS_FAILED.exitCode;
  if (s.diagnoses.some((d) => d.level === 'warn')) return ERRORS.CHECKS_WARN.exitCode;
  return 0;
}

function text(s: K8sStatus, ns: string): string {
  const out: string[] = [];
  for (const c of s.clusters) {
    const st = c.state;
    out.push(`${c.role} Cluster ${ns}/${c.name}: ${st ? st.phase : 'not present'}`);
    if (!st) continue;
    out.push(
      `  instances   ${st.readyInstances}/${st.wanted} ready${st.currentPrimary ? `, primary ${st.currentPrimary}` : ''}${st.timeline !== undefined ? `, timeline ${st.timeline}` : ''}${st.replica ? ' (replica)' : ''}`,
    );
    const archiving = condition(st, 'ContinuousArchiving');
    out.push(
      `  archiving   ${st.archiveServerName ? `serverName ${st.archiveServerName}` : 'no WAL archiver'}${archiving ? `, ContinuousArchiving=${archiving.status}${archiving.message ? ` (${archiving.message})` : ''}` : ''}`,
    );
    if (st.sourceServerNames.length) out.push(`  reads       serverName ${st.sourceServerNames.join(', ')}`);
    for (const cond of st.conditions)
      out.push(
        `  condition   ${cond.type}=${cond.status}${cond.reason ? ` ${cond.reason}` : ''}${cond.message ? `: ${cond.message}` : ''}`,
      );
    out.push(`  services    ${st.writeService} (rw), ${st.name}-ro, ${st.readService}`);
  }
  out.push('');
  if (s.bucket) out.push(statusText(s.bucket));
  else
    out.push(
      `Bucket${s.bucketUrl ? ` ${s.bucketUrl}` : ''}: ${s.bucketError ?? 'no backups of the serverName'}`,
    );
  if (s.replicaLag) out.push('', replicaLagText(s.replicaLag));
  out.push('', 'Diagnoses:');
  if (!s.diagnoses.length) out.push('  none: nothing from the troubleshooting list applies');
  for (const d of s.diagnoses) {
    out.push(`  ${d.level.toUpperCase().padEnd(5)} ${d.cluster}: ${d.finding}`);
    out.push(`        -> ${d.advice}`);
  }
  return out.join('\n');
}

function toJson(s: K8sStatus): Record<string, unknown> {
  return {
    clusters: s.clusters.map((c) => ({
      role: c.role,
      name: c.name,
      present: c.state !== undefined,
      ...(c.state ?? {}),
    })),
    bucket: s.bucket ? statusJson(s.bucket) : null,
    bucketError: s.bucketError ?? null,
    servers: Object.fromEntries(s.servers),
    scaledDown: s.scaledDown ?? null,
    replicaLag: s.replicaLag ? replicaLagJson(s.replicaLag) : null,
    replicaLagError: s.replicaLagError ?? null,
    diagnoses: s.diagnoses,
  };
}
