import { listBackups, resolveBackupOrIncremental } from '../../catalog/backup-catalog.js';
import type { BackupInfo } from '../../catalog/backup-info.js';
import { backupShowJson } from '../../catalog/backup-json.js';
import { INCREMENTAL_FOLDER } from '../../catalog/incremental-chain.js';
import { FORMAT_FLAG, oneOf, parse, positionals, STORE_FLAGS } from '../args.js';
import { configFrom, STORE_USAGE, withServerStore } from '../context.js';
import type { Command } from '../main.js';
import { json, line, table } from '../output.js';
import { endTimeText, sizeText } from './backup-format.js';

const NAME = 'backup show';

export const backupShow: Command = {
  name: NAME,
  summary: 'show one backup: ID, latest, oldest, last-failed or its name',
  usage: `Usage: pgdr backup show ID|latest|oldest|last-failed|NAME [--format table|json] [store options]

--format json prints {"cloud": {...}} as barman-cloud-backup-show --format json does. An incremental backup
(pgdr/incremental/<id>/) is named by its ID or name; latest and oldest name full backups.

${STORE_USAGE}`,
  async run(argv, ctx) {
    const p = parse(argv, { ...STORE_FLAGS, ...FORMAT_FLAG }, NAME);
    const [ref] = positionals(p, NAME, 1, 1, 'the backup: ID, latest, oldest or a backup name');
    const format = oneOf(p, 'format', ['table', 'json'] as const, 'table', NAME);
    const config = configFrom(p, ctx);
    return withServerStore(config, ctx.signal, async (store) => {
      const catalog = await listBackups(store, config.serverName, { signal: ctx.signal });
      const incs = await listBackups(store, config.serverName, {
        signal: ctx.signal,
        folder: INCREMENTAL_FOLDER,
      });
      const { backup: b } = resolveBackupOrIncremental(catalog, incs, ref as string);
      if (format === 'json') json(ctx, backupShowJson(b));
      else line(ctx, table(['Field', 'Value'], showRows(b)));
      return 0;
    });
  },
};

function showRows(b: BackupInfo): string[][] {
  const pg = b.version === null ? '-' : `${Math.floor(b.version / 10000)} (${b.version})`;
  const rows: Array<[string, string | null | undefined]> = [
    ['Backup ID', b.backupId],
    ['Name', b.backupName],
    ['Status', b.status],
    ['Parent', b.parentBackupId === null ? null : `${b.parentBackupId} (incremental backup)`],
    ['Error', b.error],
    ['Keep', b.keep ? b.keep.toUpperCase() : null],
    ['PostgreSQL', pg],
    ['System ID', b.systemid],
    ['Timeline', b.timeline === null ? null : String(b.timeline)],
    ['Begin time', b.beginTime?.raw],
    ['End time', endTimeText(b)],
    ['Begin WAL', b.beginWal],
    ['End WAL', b.endWal],
    ['Begin LSN', b.beginXlog],
    ['End LSN', b.endXlog],
    ['Cluster size', b.clusterSize === null ? null : sizeText(b.clusterSize)],
    ['Data checksums', b.dataChecksums],
    ['PGDATA', b.pgdata],
    ['Tablespaces', b.tablespaces?.map((t) => `${t.name} (${t.oid}) ${t.location}`).join(', ')],
  ];
  return rows.filter(([, v]) => v !== null && v !== undefined && v !== '').map(([k, v]) => [k, v as string]);
}
