import { backupInfoKey, listBackups, unreadableBackupsError } from '../../catalog/backup-catalog.js';
import { backupListJson, backupToJson } from '../../catalog/backup-json.js';
import { INCREMENTAL_FOLDER } from '../../catalog/incremental-chain.js';
import { incrementalViews } from '../../engine/incremental-views.js';
import { brokenChains, brokenChainText } from '../../engine/status-chains.js';
import { FORMAT_FLAG, oneOf, parseFlagsOnly, STORE_FLAGS } from '../args.js';
import { configFrom, STORE_USAGE, withServerStore } from '../context.js';
import type { Command } from '../main.js';
import { json, line, table } from '../output.js';
import { BACKUP_COLUMNS, backupRow } from './backup-format.js';

const NAME = 'backup list';

export const backupList: Command = {
  name: NAME,
  summary: 'list the backups in the bucket (as barman-cloud-backup-list)',
  usage: `Usage: pgdr backup list [--format table|json] [store options]

The table shows DONE backups like barman-cloud-backup-list, plus failed or unfinished ones marked as such.
--format json prints {"backups_list": [...]} with the fields and values barman-cloud-backup-list --format json
prints, for every backup whatever its status.
A backup whose backup.info cannot be read is left out, as barman-cloud-backup-list does, and named on stderr
(warning: ... its object key); when backup.info objects exist but none can be read, the command fails with
CATALOG_INVALID (exit 15) naming them: it never says "No backups" while there are some.
pgdr's incremental backups (backup create --incremental), which barman-cloud does not see, follow in a second
table with their parent, chain depth (1: the parent is a full backup) and level (block, or file with the reason
a block-level request fell back, printed under the table); in JSON they are a separate "pgdr_incrementals" list
(present only when there are some), each with backup_type "incremental", parent_backup_id, chain (the full backup
first, itself last; null when a link is missing), chain_depth, incremental_level and fallback_reason.
An incremental whose chain lost a link (its full backup deleted by barman-cloud-backup-delete, say) is named on
stderr: warning: incremental backup ID cannot be restored: its chain needs backup ID.

${STORE_USAGE}`,
  async run(argv, ctx) {
    const p = parseFlagsOnly(argv, { ...STORE_FLAGS, ...FORMAT_FLAG }, NAME);
    const format = oneOf(p, 'format', ['table', 'json'] as const, 'table', NAME);
    const config = configFrom(p, ctx);
    return withServerStore(config, ctx.signal, async (store) => {
      const catalog = await listBackups(store, config.serverName, { signal: ctx.signal });
      const incs = await listBackups(store, config.serverName, {
        signal: ctx.signal,
        folder: INCREMENTAL_FOLDER,
      });
      for (const id of incs.unreadable) {
        ctx.stderr.write(
          `warning: incremental backup ${id} left out: ${config.serverName}/${INCREMENTAL_FOLDER}/${id}/backup.info cannot be read (${incs.errors.get(id)})\n`,
        );
      }
      if (catalog.backups.length === 0 && catalog.unreadable.length > 0)
        throw unreadableBackupsError(catalog);
      for (const id of catalog.unreadable) {
        const key = backupInfoKey(config.serverName, id);
        ctx.stderr.write(
          `warning: backup ${id} left out: ${key} cannot be read (${catalog.errors.get(id)})\n`,
        );
      }
      for (const b of brokenChains(catalog.backups, incs.backups))
        ctx.stderr.write(`warning: ${brokenChainText(b)}\n`);
      const views = await incrementalViews({
        store,
        serverName: config.serverName,
        fulls: catalog.backups,
        incrementals: incs.backups,
        signal: ctx.signal,
      });
      if (format === 'json') {
        const incrementals = incs.backups.map((b, i) => ({
          ...backupToJson(b),
          backup_type: 'incremental',
          chain: views[i]!.chain,
          chain_depth: views[i]!.depth,
          incremental_level: views[i]!.level,
          fallback_reason: views[i]!.fallbackReason,
        }));
        json(ctx, {
          ...backupListJson(catalog.backups),
          ...(incrementals.length > 0 ? { pgdr_incrementals: incrementals } : {}),
        });
        return 0;
      }
      if (catalog.backups.length === 0) {
        line(ctx, `No backups for ${config.serverName} in ${store.displayUrl} yet (WAL is archived there).`);
      } else {
        line(ctx, table(BACKUP_COLUMNS, catalog.backups.map(backupRow)));
      }
      if (incs.backups.length > 0) {
        line(ctx, '\nIncremental backups (pgdr; barman-cloud does not list them):');
        const rows = incs.backups.map((b, i) => [
          ...backupRow(b),
          b.parentBackupId ?? '-',
          String(views[i]!.depth ?? '-'),
          views[i]!.level ?? '-',
        ]);
        line(ctx, table([...BACKUP_COLUMNS, 'Parent', 'Depth', 'Level'], rows));
        for (const v of views)
          if (v.fallbackReason !== null) line(ctx, `${v.backupId}: file level: ${v.fallbackReason}`);
      }
      return 0;
    });
  },
};
