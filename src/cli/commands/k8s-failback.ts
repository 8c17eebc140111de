import { PgdrError } from '../../errors.js';
import { manifestSource } from '../../k8s/manifests.js';
import { originalPlan } from '../../k8s/runbook/failback-original.js';
import { type FailbackContext, type FailbackOptions, keepPlan } from '../../k8s/runbook/failback-runbook.js';
import { oneOf, parseFlagsOnly, str } from '../args.js';
import { configFrom } from '../context.js';
import type { CliContext, Command } from '../main.js';
import { dryRunCluster, RUNBOOK_FLAGS, RUNBOOK_USAGE_END, waitsFromFlags } from './k8s-common.js';
import { confirmingContext } from './k8s-promote.js';
import { runRunbookCommand } from './k8s-runbook-command.js';

const NAME = 'k8s failback';

const FLAGS = {
  ...RUNBOOK_FLAGS,
  option: { type: 'string' },
  recovered: { type: 'string' },
  connection: { type: 'string' },
  database: { type: 'string' },
  yes: { type: 'boolean' },
} as const;

export const k8sFailback: Command = {
  name: NAME,
  summary: 'Kubernetes: after a recovery, keep the recovered Cluster or recreate the original one from it',
  usage: `Usage: pgdr k8s failback --option keep|original [--recovered NAME] [--yes] [--dry-run] [options]

The runbook's failback, once the recovered Cluster runs as the primary.

  keep      the recovered Cluster stays the primary under its own name: the Pooler is pointed at it, a first
            Backup of it is taken and waited for, the bucket is checked to hold it DONE with WAL after it,
            and what to change next (applications, pgdr's configuration) is printed.
  original  a Cluster under the original name again: checks both Clusters and picks a new, empty archive
            serverName <cluster>-v<N>; asks for the original Cluster's name on a terminal (refuses without
            one, unless --yes); scales the applications to 0 (counts kept in a ConfigMap), backs up the
            recovered Cluster, DELETES the original Cluster, recreates it from that backup (its spec cloned
            from the recovered Cluster) archiving under <cluster>-v<N>, waits for it, verifies it, points the
            Pooler at it and scales the applications back. The recovered Cluster is never deleted: the
            command to delete it is printed. A rerun after a failure goes on where it stopped.

  --option keep|original     which failback
  --recovered NAME           the Cluster that took over (default kubernetes.recoveredCluster)
  --yes                      do not ask (scripts)
  --dry-run                  print the steps and the exact objects and patches; change nothing (reads the
                             recovered Cluster, to clone its spec)
  --connection URL, --database NAME   the verification of option original, as for pgdr k8s latest
  --timeout DURATION         each wait (default 30m);  --poll-interval DURATION  default 5s
${RUNBOOK_USAGE_END}`,
  run: failback,
};

async function failback(argv: string[], ctx: CliContext): Promise<number> {
  const p = parseFlagsOnly(argv, FLAGS, NAME);
  const format = oneOf(p, 'format', ['table', 'json'] as const, 'table', NAME);
  if (str(p, 'option') === undefined)
    throw new PgdrError('USAGE', `${NAME}: which failback? give --option keep or --option original`, {
      hint: 'keep: the recovered Cluster stays the primary; original: recreate the original Cluster from it',
    });
  const option = oneOf(p, 'option', ['keep', 'original'] as const, 'keep', NAME);
  const config = configFrom(p, ctx);
  const src = manifestSource(config);
  const k = src.k8s;
  const recovered = str(p, 'recovered') ?? k.recoveredCluster;
  if (recovered === k.cluster)
    throw new PgdrError('USAGE', `${NAME}: --recovered ${recovered} is the original Cluster itself`);
  const recoveredObject = await dryRunCluster(p, ctx, k.namespace, recovered);
  const o: FailbackOptions = {
    config,
    src,
    option,
    recovered,
    recoveredObject,
    connection: str(p, 'connection'),
    database: str(p, 'database'),
    ...waitsFromFlags(p, NAME, 30 * 60_000),
  };
  const steps = option === 'keep' ? keepPlan(o) : originalPlan(o);
  const title =
    option === 'keep'
      ? `pgdr ${NAME} --option keep: Cluster ${k.namespace}/${recovered} stays the primary`
      : `pgdr ${NAME} --option original: recreate Cluster ${k.namespace}/${k.cluster} from ${recovered}`;
  return runRunbookCommand<FailbackContext>(ctx, p, {
    name: NAME,
    title,
    steps,
    format,
    reads: `Cluster ${k.namespace}/${recovered}`,
    context: (base) => ({
      ...confirmingContext(ctx, p, base, {
        command: NAME,
        verb: 'delete and recreate',
        name: k.cluster,
        doing: `delete and recreate ${k.cluster}`,
      }),
      state: {},
    }),
    describeState: async (c) => describeState(o, c),
    outcome: (report, { state: s }) => {
      const next = report.ok ? nextSteps(o, s) : [];
      return {
        json: {
          option,
          namespace: k.namespace,
          recovered,
          original: k.cluster,
          backupId: s.backupId ?? null,
          serverName: option === 'keep' ? (s.recoveredServerName ?? null) : (s.serverName ?? null),
          next,
        },
        text: report.ok ? [`\nNext:\n${next.map((n) => `  - ${n}`).join('\n')}`] : [],
      };
    },
  });
}

function nextSteps(o: FailbackOptions, s: FailbackContext['state']): string[] {
  const k = o.src.k8s;
  const ns = k.namespace;
  if (o.option === 'keep')
    return [
      `applications that do not go through the Pooler: host ${o.recovered}-rw (read-only ${o.recovered}-ro), credentials from Secret ${o.recovered}-app instead of ${k.cluster}-rw / ${k.cluster}-app`,
      `pgdr's configuration: serverName: ${s.recoveredServerName}, kubernetes.cluster: ${o.recovered} (backups, the agent and drills then follow the new primary)`,
      `schedule its backups: pgdr k8s manifests scheduled-backup (with kubernetes.cluster: ${o.recovered}) | kubectl apply -f -`,
      `Cluster ${k.cluster}, if it still exists, is obsolete: kubectl delete cluster ${k.cluster} -n ${ns} once you are sure`,
    ];
  return [
    `${k.cluster} runs again (timeline ${s.ready?.timeline ?? '?'}), archiving under serverName ${s.serverName}; the applications use ${k.cluster}-rw as before`,
    `pgdr's configuration: serverName: ${s.serverName} (its backups and WAL are there now; ${o.src.config.serverName} keeps the old primary's)`,
    `take a first backup of it: pgdr k8s manifests backup | kubectl apply -f -`,
    `the recovered Cluster is left running and no longer used; delete it when you are sure: kubectl delete cluster ${o.recovered} -n ${ns}`,
  ];
}

function describeState(o: FailbackOptions, c: FailbackContext): string[] {
  const k = o.src.k8s;
  const s = c.state;
  const out = [`Cluster ${o.recovered} (the recovered one) was not deleted by pgdr.`];
  if (o.option === 'original') {
    out.push(
      s.recreated
        ? `Cluster ${k.cluster} was recreated from ${o.recovered}'s backup.`
        : s.deleted
          ? `Cluster ${k.cluster} was DELETED and not yet recreated: run the same command again to go on.`
          : `Cluster ${k.cluster} was not modified.`,
    );
    if (s.scaledDown && !s.switched)
      out.push(
        `The applications are scaled to 0 (counts in ConfigMap ${k.cluster}-pgdr-replicas): run the same command again to go on.`,
      );
  }
  if (s.pooler) out.push(`Pooler ${s.pooler} points at ${o.option === 'keep' ? o.recovered : k.cluster}.`);
  out.push('Run the same command again: steps already done are detected and skipped.');
  return out;
}
