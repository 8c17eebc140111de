import { resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { failbackKeep } from '../../engine/replica/failback-keep.js';
import { type FailbackOriginalResult, failbackOriginal } from '../../engine/replica/failback-original.js';
import {
  type FailbackOriginalPlan,
  prepareFailbackOriginal,
} from '../../engine/replica/failback-original-prepare.js';
import { PgdrError } from '../../errors.js';
import { FORMAT_FLAG, flag, oneOf, parseFlagsOnly, STORE_FLAGS, str } from '../args.js';
import { configFrom, STORE_USAGE, withStore } from '../context.js';
import type { CliContext, Command } from '../main.js';
import { json, line } from '../output.js';
import { pgdrCommandFor } from '../pgdr-command.js';
import { binariesCache } from '../postgres-binaries.js';
import { PROGRESS_FLAGS, PROGRESS_USAGE, progressReporter } from '../progress-flags.js';
import { indent, stepsTable } from '../steps-text.js';
import { promotedStandby } from './failback-plan.js';

const NAME = 'failback run';

const FLAGS = {
  ...STORE_FLAGS,
  ...FORMAT_FLAG,
  option: { type: 'string' },
  replica: { type: 'string' },
  'write-config': { type: 'string' },
  'target-dir': { type: 'string' },
  port: { type: 'string' },
  yes: { type: 'boolean' },
  'stop-recovered': { type: 'boolean' },
  delta: { type: 'boolean' },
  ...PROGRESS_FLAGS,
} as const;

export const failbackRunCommand: Command = {
  name: NAME,
  summary:
    'execute a failback option: keep the recovered cluster, or move it back under the original serverName',
  usage: `Usage: pgdr failback run --option keep [--replica DIR] [--write-config FILE] [--format table|json]
       pgdr failback run --option original --target-dir DIR [--delta] [--port P] [--replica DIR] [--yes]
         [--stop-recovered] [--format table|json]

--option keep: checks the promoted standby is a primary archiving under its new serverName (history file in
the archive), writes its own configuration (default ./pgdr-<newServerName>.yaml) and takes its first base
backup; then prints the agent command that schedules backups.

--option original (the runbook's option 2): with the original primary's configuration, checks the recovered
cluster as above, that DIR is missing or empty, that the original primary is not running as a primary
(postgres.connection), and that the original serverName's archive holds only older timelines than the one
the new cluster will end on (barman-cloud-check-wal-archive --timeline). Then: a base backup of the
recovered cluster under its new serverName, restored into DIR on 127.0.0.1:P and promoted (a new timeline),
restarted archiving under the original serverName (the old primary's WAL there is never touched), a first
base backup under the original serverName, and row counts compared with the recovered cluster. Writes to
the recovered cluster after its backup are not carried over: stop applications first. The recovered cluster
keeps running unless --stop-recovered. Without --yes it asks for the serverName on a terminal, and refuses
without one.

  --target-dir DIR     data folder of the cluster under the original name (missing or empty; required)
  --delta              DIR is the original primary's stopped data directory: update it in place, writing
                       only what differs (pgdr restore --delta; refused unless it is of the same system)
  --port P             its port (default: a free one)
  --yes                do not ask (scripts)
  --stop-recovered     stop the recovered cluster once the new one is verified
  --replica DIR        the promoted standby (default: the one pgdr replica create registered on this host)

${PROGRESS_USAGE}

${STORE_USAGE}`,
  async run(argv, ctx) {
    const p = parseFlagsOnly(argv, FLAGS, NAME);
    const format = oneOf(p, 'format', ['table', 'json'] as const, 'table', NAME);
    const option = str(p, 'option');
    if (option !== 'keep' && option !== 'original')
      throw new PgdrError('USAGE', `${NAME}: --option keep|original is required`);
    const only =
      option === 'keep' ? ['target-dir', 'port', 'yes', 'stop-recovered', 'delta'] : ['write-config'];
    for (const f of only) {
      if (p.values[f] !== undefined)
        throw new PgdrError('USAGE', `${NAME}: --${f} does not apply to --option ${option}`);
    }
    const targetArg = str(p, 'target-dir');
    if (option === 'original' && targetArg === undefined)
      throw new PgdrError('USAGE', `${NAME}: --option original needs --target-dir DIR (missing or empty)`);
    const portText = str(p, 'port');
    const port = portText === undefined ? undefined : Number(portText);
    if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535))
      throw new PgdrError('USAGE', `${NAME}: --port must be 1..65535 (got '${portText}')`);
    const config = configFrom(p, ctx);
    const recovered = await promotedStandby(p, ctx, config.serverName);
    if (recovered === undefined) {
      throw new PgdrError('NOT_FOUND', `no promoted standby of ${config.serverName} is known on this host`, {
        hint: 'pass --replica DIR',
      });
    }
    const found = recovered;
    if (option === 'original') {
      const command = await pgdrCommandFor(config, ctx);
      const progress = progressReporter(p, ctx, NAME);
      const r = await withStore(config, async (store) => {
        const plan = await prepareFailbackOriginal({
          recovered: found,
          store,
          serverName: config.serverName,
          destinationPath: config.objectStore.destinationPath,
          targetDir: resolve(ctx.cwd, targetArg!),
          originalConnection: config.postgres.connection,
          delta: flag(p, 'delta'),
          signal: ctx.signal,
        });
        const summary = planText(plan, port, flag(p, 'stop-recovered'));
        // Under --format json stdout holds only the result: the question goes to the terminal on stderr.
        if (!flag(p, 'yes'))
          await confirm(format === 'json' ? { ...ctx, stdout: ctx.stderr } : ctx, plan, summary);
        else if (format === 'table') line(ctx, summary);
        return failbackOriginal({
          plan,
          store,
          objectStore: config.objectStore,
          data: config.objectStore.data,
          wal: config.objectStore.wal,
          pgdrCommand: command,
          port,
          binDir: config.postgres.binDir,
          binariesCache: binariesCache(config, ctx),
          stopRecovered: flag(p, 'stop-recovered'),
          signal: ctx.signal,
          onStage: (s) => progress.emit({ type: 'stage', message: s }),
          progress,
        });
      }).finally(() => progress.close());
      if (format === 'json') json(ctx, r);
      else line(ctx, originalText(r));
      return 0;
    }
    const newName = found.promoted?.serverName ?? `${config.serverName}-new`;
    const configFile = resolve(ctx.cwd, str(p, 'write-config') ?? `pgdr-${newName}.yaml`);
    const r = await withStore(config, (store) =>
      failbackKeep({
        recovered: found,
        store,
        data: config.objectStore.data,
        schedule: config.agent?.schedule,
        configFile,
        signal: ctx.signal,
      }),
    );
    if (format === 'json') json(ctx, r);
    else
      line(
        ctx,
        [
          `kept the recovered cluster as ${r.serverName}: configuration ${r.configFile}, first backup ${r.backupId}`,
          'next:',
          ...r.next.map((n) => `  ${n}`),
        ].join('\n'),
      );
    return 0;
  },
};

function planText(plan: FailbackOriginalPlan, port: number | undefined, stopRecovered: boolean): string {
  const { recovered: r, promotion: pr } = plan;
  return [
    `about to move the recovered cluster back under ${plan.originalServerName}`,
    `  back up ${r.pgdata} (timeline ${pr.timeline}, archiving as ${pr.serverName}) under ${pr.serverName}`,
    `  restore it into ${plan.targetDir} on 127.0.0.1:${port ?? '<free port>'}, promoted to timeline ${plan.expectedTimeline}`,
    `  archive under ${plan.originalServerName} again: its ${plan.originalWalFiles} WAL file(s) of older timelines stay untouched (checked)`,
    '  writes to the recovered cluster after its backup are NOT carried over: stop applications writing to it first',
    stopRecovered
      ? '  then stop the recovered cluster (--stop-recovered)'
      : '  the recovered cluster keeps running: stop it yourself once traffic has moved',
  ].join('\n');
}

function originalText(r: FailbackOriginalResult): string {
  const rows =
    r.rows.differing.length === 0
      ? `row counts match the recovered cluster (${r.rows.tables} table(s))`
      : `row counts differ in ${r.rows.differing.length} of ${r.rows.tables} table(s): ${r.rows.differing
          .slice(0, 5)
          .map((d) => `${d.table} ${d.recovered ?? '-'} -> ${d.restored ?? '-'}`)
          .join(', ')}`;
  return [
    `failed back: ${r.pgdata} is the primary of ${r.serverName} on timeline ${r.timeline}, read-write at ${r.connectionString}`,
    `  restored from backup ${r.sourceBackupId} of ${r.recoveredServerName}; archiving under ${r.serverName}; first backup ${r.backupId}`,
    `  ${rows}`,
    ...(r.delta
      ? [
          `  delta: ${r.delta.keptFiles} file(s) kept as they were, ${r.delta.fetchedFiles} written (${r.delta.bytesWritten} bytes), ${r.delta.removedFiles} removed`,
        ]
      : []),
    indent(stepsTable(r.steps, { total: ['total', 'done', r.totalMs] }), 2),
    `  stop it with: ${r.stopCommand}`,
    'next:',
    ...r.next.map((n) => `  ${n}`),
  ].join('\n');
}

async function confirm(ctx: CliContext, plan: FailbackOriginalPlan, summary: string): Promise<void> {
  if (!process.stdin.isTTY || !ctx.isTTY) {
    throw new PgdrError(
      'CONFIRMATION_REQUIRED',
      `${NAME}: refusing to fail back without confirmation (no terminal); nothing was changed`,
      { hint: `pass --yes to restore into ${plan.targetDir} and archive under ${plan.originalServerName}` },
    );
  }
  line(ctx, summary);
  const rl = createInterface({ input: process.stdin, output: ctx.stdout });
  try {
    const answer = await rl.question(`type the serverName (${plan.originalServerName}) to fail back: `, {
      signal: ctx.signal,
    });
    if (answer.trim() !== plan.originalServerName) {
      throw new PgdrError(
        'CONFIRMATION_REQUIRED',
        `${NAME}: the answer did not match ${plan.originalServerName}; nothing was changed`,
      );
    }
  } finally {
    rl.close();
  }
}
