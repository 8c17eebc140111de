import { resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { checkServerNameFlag } from '../../config/server-name.js';
import { type PromotionPlan, preparePromotion, promoteReplica } from '../../engine/replica/promote.js';
import { PgdrError } from '../../errors.js';
import { FORMAT_FLAG, flag, oneOf, parse, positionals, STORE_FLAGS, str } from '../args.js';
import { configFrom, STORE_USAGE, withStore } from '../context.js';
import type { CliContext, Command } from '../main.js';
import { json, line } from '../output.js';
import { pgdrCommandFor } from '../pgdr-command.js';

const NAME = 'replica promote';

const FLAGS = {
  ...STORE_FLAGS,
  ...FORMAT_FLAG,
  yes: { type: 'boolean' },
  'new-server-name': { type: 'string' },
} as const;

export const replicaPromote: Command = {
  name: NAME,
  summary:
    'promote a standby to a primary (irreversible) and archive its new timeline under a new serverName',
  usage: `Usage: pgdr replica promote DIR [--yes] [--new-server-name NAME] [--format table|json]

The irreversible failover step. Shows the lag and the archived WAL the standby has not replayed (lost by
promoting now), checks that the new serverName's archive is empty (barman-cloud-check-wal-archive), points
archive_command at it, then runs pg_ctl promote and confirms the new timeline. The old primary's archive is
never written to. Without --yes it asks for the serverName on a terminal, and refuses without one.
The archive configuration and its credentials go to DIR.pgdr/ beside the data folder (server user, 0700);
the credentials the standby's restore_command read are removed from DIR once it is promoted.

  --yes                    do not ask (scripts)
  --new-server-name NAME   where the new primary archives (default: <serverName>-tl<new timeline>)

${STORE_USAGE}`,
  async run(argv, ctx) {
    const p = parse(argv, FLAGS, NAME);
    const [dirArg] = positionals(p, NAME, 1, 1, 'DIR (the standby data folder)');
    const format = oneOf(p, 'format', ['table', 'json'] as const, 'table', NAME);
    const newServerName = checkServerNameFlag(str(p, 'new-server-name'), '--new-server-name');
    const config = configFrom(p, ctx);
    const command = await pgdrCommandFor(config, ctx);
    return withStore(config, async (store) => {
      const plan = await preparePromotion({
        dir: resolve(ctx.cwd, dirArg!),
        store,
        newServerName,
        signal: ctx.signal,
      });
      const summary = planText(plan);
      // Under --format json stdout holds only the result: the question goes to the terminal on stderr.
      if (!flag(p, 'yes'))
        await confirm(format === 'json' ? { ...ctx, stdout: ctx.stderr } : ctx, plan, summary);
      else if (format === 'table') line(ctx, summary);
      const r = await promoteReplica({
        plan,
        store,
        objectStore: config.objectStore,
        pgdrCommand: command,
        signal: ctx.signal,
      });
      if (format === 'json') {
        json(ctx, { before: plan.status, unreplayedSegments: plan.unreplayedSegments, ...r });
        return 0;
      }
      line(
        ctx,
        [
          `promoted: ${r.state.pgdata} is a primary on timeline ${r.timeline}, read-write at ${r.state.connectionString}`,
          `archiving to ${r.state.destinationPath} ${r.newServerName} (history file ${r.historyArchived ? 'archived' : 'not archived yet: check pgdr status'})`,
          `next: pgdr failback plan --config <yours> (take a base backup of the new primary under ${r.newServerName})`,
        ].join('\n'),
      );
      return 0;
    });
  },
};

function planText(plan: PromotionPlan): string {
  const s = plan.status;
  const lost =
    plan.unreplayedSegments === 0
      ? 'nothing archived is unreplayed (WAL the primary never archived is lost in any case)'
      : `${plan.unreplayedSegments} archived segment(s) after ${s.replayLsn} would NOT be replayed${s.stuckSegment ? ` (stuck on missing ${s.stuckSegment})` : ''}`;
  return [
    `about to promote the standby of ${plan.state.serverName} in ${plan.state.pgdata} (irreversible)`,
    `  verdict ${s.verdict}, lag ${s.lagSeconds === null ? 'unknown' : `${s.lagSeconds.toFixed(1)} s`}, ${s.lagBytes ?? '?'} bytes`,
    `  would be lost: ${lost}`,
    `  new timeline ${s.timeline + 1}, archiving to ${plan.state.destinationPath} ${plan.newServerName} (checked empty)`,
  ].join('\n');
}

async function confirm(ctx: CliContext, plan: PromotionPlan, summary: string): Promise<void> {
  if (!process.stdin.isTTY || !ctx.isTTY) {
    throw new PgdrError(
      'CONFIRMATION_REQUIRED',
      `${NAME}: refusing to promote without confirmation (no terminal); nothing was changed`,
      {
        hint: `pass --yes to promote ${plan.state.pgdata}`,
      },
    );
  }
  line(ctx, summary);
  const rl = createInterface({ input: process.stdin, output: ctx.stdout });
  try {
    const answer = await rl.question(`type the serverName (${plan.state.serverName}) to promote: `, {
      signal: ctx.signal,
    });
    if (answer.trim() !== plan.state.serverName) {
      throw new PgdrError(
        'CONFIRMATION_REQUIRED',
        `${NAME}: the answer did not match ${plan.state.serverName}; nothing was changed`,
      );
    }
  } finally {
    rl.close();
  }
}
