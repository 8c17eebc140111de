import { resolve } from 'node:path';
import { configEnv } from '../../config/config-file.js';
import { failbackMarkdown, failbackPlan } from '../../engine/replica/failback-plan.js';
import { knownReplicas } from '../../engine/replica/registry.js';
import { assertDataDir, type ReplicaState, readReplicaState } from '../../engine/replica/replica-state.js';
import { FORMAT_FLAG, oneOf, type Parsed, parseFlagsOnly, STORE_FLAGS, str } from '../args.js';
import { configFrom, STORE_USAGE } from '../context.js';
import type { CliContext, Command } from '../main.js';
import { json, line } from '../output.js';

const NAME = 'failback plan';

export const failbackPlanCommand: Command = {
  name: NAME,
  summary:
    "the runbook's two failback options as filled-in pgdr steps (keep the recovered cluster, or go back)",
  usage: `Usage: pgdr failback plan [--replica DIR] [--format markdown|json]

Option keep: the recovered (promoted) cluster stays the primary, with its own serverName, backups and agent.
Option original: back it up, restore it under the original data folder and serverName, archive there again.
The promoted standby is found among those pgdr replica create made on this host, or given with --replica.

${STORE_USAGE}`,
  async run(argv, ctx) {
    const p = parseFlagsOnly(argv, { ...STORE_FLAGS, ...FORMAT_FLAG, replica: { type: 'string' } }, NAME);
    const format = oneOf(p, 'format', ['markdown', 'json'] as const, 'markdown', NAME);
    const config = configFrom(p, ctx);
    const recovered = await promotedStandby(p, ctx, config.serverName);
    const plan = failbackPlan({
      serverName: config.serverName,
      destinationPath: config.objectStore.destinationPath,
      configArg: str(p, 'config') ?? configEnv(ctx.env) ?? 'pgdr.yaml',
      originalPgdata: config.postgres.pgdata,
      recovered,
      schedule: config.agent?.schedule,
    });
    if (format === 'json') json(ctx, plan);
    else line(ctx, failbackMarkdown(plan));
    return 0;
  },
};

/** The promoted standby a failback starts from: --replica DIR, else the one pgdr replica create registered. */
export async function promotedStandby(
  p: Parsed,
  ctx: CliContext,
  serverName: string,
): Promise<ReplicaState | undefined> {
  const dir = str(p, 'replica');
  if (dir === undefined)
    return (await knownReplicas(ctx.env, serverName)).find((r) => r.promoted !== undefined);
  await assertDataDir(resolve(ctx.cwd, dir));
  return readReplicaState(resolve(ctx.cwd, dir));
}
