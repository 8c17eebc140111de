import { PgdrError } from '../../errors.js';
import { clusterState } from '../../k8s/cluster-state.js';
import { manifestSource } from '../../k8s/manifests.js';
import { type SwitchoverContext, switchoverPlan } from '../../k8s/runbook/switchover-runbook.js';
import { oneOf, parseFlagsOnly, str } from '../args.js';
import { configFrom } from '../context.js';
import type { CliContext, Command } from '../main.js';
import { dryRunCluster, RUNBOOK_FLAGS, RUNBOOK_USAGE_END, waitsFromFlags } from './k8s-common.js';
import { confirmingContext } from './k8s-promote.js';
import { runRunbookCommand } from './k8s-runbook-command.js';

const NAME = 'k8s switchover';

const FLAGS = {
  ...RUNBOOK_FLAGS,
  to: { type: 'string' },
  namespace: { type: 'string', short: 'n' },
  yes: { type: 'boolean' },
} as const;

export const k8sSwitchover: Command = {
  name: NAME,
  summary:
    'Kubernetes: planned switch of the distributed topology to another Cluster (demotion token, no data loss)',
  usage: `Usage: pgdr k8s switchover --to CLUSTER [--yes] [--dry-run] [options]

The runbook's planned switch between two Clusters of a distributed topology (both with spec.replica.primary
and each other in externalClusters): checks both, asks for the target's name on a terminal (refuses without
one, unless --yes), demotes the current primary (spec.replica.primary = CLUSTER), waits for its
status.demotionToken (its last WAL archived), promotes CLUSTER with that token (it replays up to exactly that
point: no data loss), waits for CLUSTER to run as the primary on a new timeline, and prints the command that
switches back. Fails closed: a target that is not a replica of a ready primary is refused before any change.

  --to CLUSTER               the Cluster to promote
  -n, --namespace NS         default kubernetes.namespace
  --yes                      do not ask (scripts)
  --dry-run                  print the steps and the exact patches; change nothing (reads the target to name the
                             current primary)
  --timeout DURATION         each wait (default 10m);  --poll-interval DURATION  default 5s
${RUNBOOK_USAGE_END}`,
  run: switchover,
};

async function switchover(argv: string[], ctx: CliContext): Promise<number> {
  const p = parseFlagsOnly(argv, FLAGS, NAME);
  const format = oneOf(p, 'format', ['table', 'json'] as const, 'table', NAME);
  const to = str(p, 'to');
  if (!to) throw new PgdrError('USAGE', `${NAME}: which Cluster becomes the primary? give --to CLUSTER`);
  const src = manifestSource(configFrom(p, ctx));
  const namespace = str(p, 'namespace') ?? src.k8s.namespace;
  const target = await dryRunCluster(p, ctx, namespace, to);
  const from = target ? clusterState(target).topologyPrimary : undefined;
  const o = {
    src,
    to,
    namespace,
    from,
    ...waitsFromFlags(p, NAME, 10 * 60_000),
  };
  const steps = switchoverPlan(o);
  const title = `pgdr ${NAME}: make Cluster ${namespace}/${to} the primary of the distributed topology`;
  return runRunbookCommand<SwitchoverContext>(ctx, p, {
    name: NAME,
    title,
    steps,
    format,
    reads: `Cluster ${namespace}/${to}`,
    context: (base) => ({
      ...confirmingContext(ctx, p, base, {
        command: NAME,
        verb: 'switch over',
        name: to,
        doing: `switch over to ${to}`,
      }),
      state: {},
    }),
    describeState: async (c) => [
      c.state.promoted
        ? `${to} was patched with the promotion token: the operator goes on with it (pgdr k8s status)`
        : c.state.demoted
          ? `${c.state.from} was DEMOTED and ${to} not promoted: no Cluster takes writes. Run the same command again to go on, or switch back: kubectl patch cluster ${c.state.from} -n ${namespace} --type merge -p '{"spec":{"replica":{"primary":"${c.state.from}"}}}'`
          : `nothing was changed: ${c.state.from ?? 'the primary'} is still the primary`,
    ],
    outcome: (report, c) => {
      const back = c.state.from ? `pgdr k8s switchover --to ${c.state.from} -n ${namespace}` : undefined;
      return {
        json: { to, from: c.state.from ?? null, reverse: report.ok ? back : null },
        text: report.ok
          ? [
              `\n${to} is the primary (timeline ${c.state.after?.timeline ?? '?'}); ${c.state.from} follows it. Point the applications at ${to}-rw.\nTo switch back: ${back}`,
            ]
          : [],
      };
    },
  });
}
