import { backupKeep, type KeepAction } from '../../engine/backup-keep.js';
import { PgdrError } from '../../errors.js';
import { FORMAT_FLAG, flag, oneOf, type Parsed, parse, positionals, STORE_FLAGS, str } from '../args.js';
import { configFrom, STORE_USAGE, withServerStore } from '../context.js';
import type { Command } from '../main.js';
import { json, line } from '../output.js';

const NAME = 'backup keep';

export const backupKeepCommand: Command = {
  name: NAME,
  summary:
    'keep a backup beyond retention, release it, or show its keep status (as barman-cloud-backup-keep)',
  usage: `Usage: pgdr backup keep ID|latest|oldest|NAME (--target full|standalone | --release | --status)
       [--format table|json] [store options]

  --target full              keep the backup and all WAL from it onwards (point-in-time recovery from it)
  --target standalone        keep the backup and only the WAL needed to make it consistent
  -r, --release              remove the keep: retention may delete the backup again
  -s, --status               print the keep status (Keep: full|standalone|nokeep)

Only DONE backups can be kept. The annotation is base/<id>/annotations/keep, as barman-cloud writes it; an
incremental backup (named by its ID or name) has it in pgdr/incremental/<id>/annotations/keep, and retention
then keeps its whole chain.

${STORE_USAGE}`,
  async run(argv, ctx) {
    const flags = {
      ...STORE_FLAGS,
      ...FORMAT_FLAG,
      target: { type: 'string' as const },
      release: { type: 'boolean' as const, short: 'r' },
      status: { type: 'boolean' as const, short: 's' },
    };
    const p = parse(argv, flags, NAME);
    const [ref] = positionals(p, NAME, 1, 1, 'the backup: ID, latest, oldest or a backup name');
    const format = oneOf(p, 'format', ['table', 'json'] as const, 'table', NAME);
    const action = actionOf(p);
    const config = configFrom(p, ctx);
    return withServerStore(config, ctx.signal, async (_store, server) => {
      const r = await backupKeep({
        ...server,
        ref: ref as string,
        action,
      });
      if (format === 'json') json(ctx, { backupId: r.backupId, keep: r.keep });
      else if (action.kind === 'status') line(ctx, `Keep: ${r.keep ?? 'nokeep'}`);
      else if (action.kind === 'release') line(ctx, `Released the keep on backup ${r.backupId}.`);
      else line(ctx, `Backup ${r.backupId} is kept (${r.keep}).`);
      return 0;
    });
  },
};

// One of the three, as barman's mutually exclusive group.
function actionOf(p: Parsed): KeepAction {
  const target = str(p, 'target');
  const chosen = [target !== undefined, flag(p, 'release'), flag(p, 'status')].filter(Boolean).length;
  if (chosen !== 1) {
    throw new PgdrError(
      'USAGE',
      `${NAME}: give exactly one of --target full|standalone, --release, --status`,
      {
        hint: `see: pgdr ${NAME} --help`,
      },
    );
  }
  if (flag(p, 'release')) return { kind: 'release' };
  if (flag(p, 'status')) return { kind: 'status' };
  if (target !== 'full' && target !== 'standalone') {
    throw new PgdrError('USAGE', `${NAME}: --target must be full or standalone (got '${target}')`, {
      hint: `see: pgdr ${NAME} --help`,
    });
  }
  return { kind: 'keep', target };
}
