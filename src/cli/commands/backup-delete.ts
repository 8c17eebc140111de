import { deleteBackup } from '../../engine/retention.js';
import { FORMAT_FLAG, flag, oneOf, parse, positionals, STORE_FLAGS } from '../args.js';
import { configFrom, STORE_USAGE, withServerStore } from '../context.js';
import type { Command } from '../main.js';
import { json, line } from '../output.js';
import { DELETE_FLAGS, DELETE_USAGE, minimumRedundancy } from './retention-flags.js';
import { retentionJson, retentionText } from './retention-format.js';

const NAME = 'backup delete';

export const backupDelete: Command = {
  name: NAME,
  summary: 'delete one backup and the WAL nothing else needs (as barman-cloud-backup-delete -b)',
  usage: `Usage: pgdr backup delete ID|oldest|latest|last-failed|NAME [-m N] [--dry-run] [--format table|json]
       [store options]

Deletes the backup's files, then its backup.info, then the WAL older than the next backup when no earlier
backup needs it. Refuses a kept backup (release it with pgdr backup keep ID --release), the last DONE backup,
and the parent of an incremental backup. An incremental backup (named by its ID or name; latest and oldest
name full backups) is deleted alone, its WAL left for the full backups, once no later incremental builds on it.

${DELETE_USAGE}

${STORE_USAGE}`,
  async run(argv, ctx) {
    const p = parse(argv, { ...STORE_FLAGS, ...FORMAT_FLAG, ...DELETE_FLAGS }, NAME);
    const [ref] = positionals(p, NAME, 1, 1, 'the backup: ID, oldest, latest or a backup name');
    const format = oneOf(p, 'format', ['table', 'json'] as const, 'table', NAME);
    const min = minimumRedundancy(p, NAME);
    const config = configFrom(p, ctx);
    return withServerStore(config, ctx.signal, async (store, server) => {
      const r = await deleteBackup({
        ...server,
        ref: ref as string,
        minimumRedundancy: min,
        dryRun: flag(p, 'dry-run'),
      });
      if (format === 'json') json(ctx, retentionJson(r));
      else line(ctx, retentionText(r, store.displayUrl));
      return 0;
    });
  },
};
