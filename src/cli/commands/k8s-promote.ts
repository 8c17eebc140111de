import { createInterface } from 'node:readline/promises';
import { PgdrError } from '../../errors.js';
import { manifestSource } from '../../k8s/manifests.js';
import { type PromoteContext, promotePlan } from '../../k8s/runbook/promote-runbook.js';
import { flag, oneOf, type Parsed, parseFlagsOnly, str } from '../args.js';
import { configFrom } from '../context.js';
import type { CliContext, Command } from '../main.js';
import { RUNBOOK_FLAGS, RUNBOOK_USAGE_END, waitsFromFlags } from './k8s-common.js';
import { type RunbookBase, runRunbookCommand } from './k8s-runbook-command.js';

const NAME = 'k8s promote';

const FLAGS = {
  ...RUNBOOK_FLAGS,
  cluster: { type: 'string' },
  'promotion-token': { type: 'string' },
  yes: { type: 'boolean' },
} as const;

export const k8sPromote: Command = {
  name: NAME,
  summary: 'Kubernetes: promote the replica Cluster to a primary (irreversible; asks first)',
  usage: `Usage: pgdr k8s promote [--yes] [--cluster NAME] [--promotion-token TOKEN] [--dry-run] [options]

The runbook's failover: checks that the replica Cluster exists and still follows the source, shows the state of
both, asks for the Cluster's name on a terminal (refuses without one, unless --yes), applies the promotion
patch ({"spec":{"replica":{"enabled":false}}}, or with --promotion-token the distributed form) and waits
until it runs as a primary on a new timeline. Then point the applications at <cluster>-rw.

  --cluster NAME             the replica Cluster (default kubernetes.replicaCluster, <cluster>-replica)
  --promotion-token TOKEN    the demoted primary's .status.demotionToken (distributed topology, no data loss)
  --yes                      do not ask (scripts)
  --dry-run                  print the steps and the exact patch; change nothing
  --timeout DURATION         default 10m;  --poll-interval DURATION  default 5s
${RUNBOOK_USAGE_END}`,
  async run(argv, ctx) {
    const p = parseFlagsOnly(argv, FLAGS, NAME);
    const format = oneOf(p, 'format', ['table', 'json'] as const, 'table', NAME);
    const src = manifestSource(configFrom(p, ctx));
    const plan = promotePlan({
      src,
      cluster: str(p, 'cluster'),
      promotionToken: str(p, 'promotion-token'),
      ...waitsFromFlags(p, NAME, 10 * 60_000),
    });
    const title = `pgdr ${NAME}: promote Cluster ${plan.namespace}/${plan.name} (it stops following ${src.k8s.cluster})`;
    return runRunbookCommand<PromoteContext>(ctx, p, {
      name: NAME,
      title,
      steps: plan.steps,
      format,
      context: (base) => ({
        ...confirmingContext(ctx, p, base, { command: NAME, verb: 'promote', name: plan.name }),
        state: {},
      }),
      describeState: async (c) => [
        c.state.patched
          ? `the promotion patch was applied to ${plan.name}: the operator goes on with it (pgdr k8s status)`
          : `nothing was changed: ${plan.name} still follows ${src.k8s.cluster}`,
        `Cluster ${src.k8s.cluster} was not modified by pgdr.`,
      ],
      outcome: (report, c) => ({
        json: { cluster: plan.name, namespace: plan.namespace },
        text: report.ok
          ? [
              `\n${plan.name} is a primary (timeline ${c.state.after?.timeline ?? '?'}). Point the applications at ${c.state.after?.writeService ?? `${plan.name}-rw`} (read-write) and ${plan.name}-ro (read-only).`,
            ]
          : [],
      }),
    });
  },
};

/** What a runbook that asks first runs with: the API, progress lines (none under JSON), the confirmation. */
export function confirmingContext(
  ctx: CliContext,
  p: Parsed,
  base: RunbookBase,
  c: { command: string; verb: string; name: string; doing?: string },
) {
  return {
    api: base.api,
    signal: base.signal,
    progress: base.progress,
    confirm: (summary: string[]) =>
      flag(p, 'yes')
        ? Promise.resolve()
        : confirmByName(ctx, c.command, c.verb, c.name, summary, c.doing, base.quiet),
  };
}

/** The confirmation rule of the k8s runbooks that change a live Cluster: type its name on a terminal. */
export async function confirmByName(
  ctx: CliContext,
  command: string,
  verb: string,
  name: string,
  summary: string[],
  /** What --yes does, for the hint; default `VERB NAME`. */
  doing = `${verb} ${name}`,
  /** Under --format json the question goes to stderr: stdout holds only the report. */
  asJson = false,
): Promise<void> {
  if (!process.stdin.isTTY || !ctx.isTTY)
    throw new PgdrError(
      'CONFIRMATION_REQUIRED',
      `${command}: refusing to ${verb} without confirmation (no terminal); nothing was changed`,
      {
        hint: `pass --yes to ${doing}`,
      },
    );
  // Under --format json stdout holds only the report: the question goes to the terminal through stderr.
  const to = asJson ? ctx.stderr : ctx.stdout;
  for (const l of summary) to.write(`${l}\n`);
  const rl = createInterface({ input: process.stdin, output: to });
  try {
    const answer = await rl.question(
      `type the Cluster name (${name}) to ${doing === `${verb} ${name}` ? verb : doing}: `,
      { signal: ctx.signal },
    );
    if (answer.trim() !== name)
      throw new PgdrError(
        'CONFIRMATION_REQUIRED',
        `${command}: the answer did not match ${name}; nothing was changed`,
      );
  } finally {
    rl.close();
  }
}
