import { isAbsolute, resolve } from 'node:path';
import { restore } from '../../engine/restore/restore.js';
import { parseTarget, type TargetAction } from '../../engine/restore/target.js';
import { PgdrError } from '../../errors.js';
import { FORMAT_FLAG, flag, oneOf, parse, positionals, STORE_FLAGS, str, TARGET_FLAGS } from '../args.js';
import { STORE_USAGE } from '../context.js';
import type { Command } from '../main.js';
import { json, line } from '../output.js';
import { INSTALL_POSTGRES_FLAG, installPostgresUsage } from '../postgres-binaries.js';
import { PROGRESS_FLAGS, PROGRESS_USAGE } from '../progress-flags.js';
import { withRestoreRun } from '../restore-run.js';
import { restoreJson, restoreText } from './restore-format.js';

const NAME = 'restore';

const FLAGS = {
  ...STORE_FLAGS,
  ...FORMAT_FLAG,
  ...TARGET_FLAGS,
  'target-action': { type: 'string' },
  plan: { type: 'boolean' },
  'no-start': { type: 'boolean' },
  delta: { type: 'boolean' },
  port: { type: 'string' },
  tablespace: { type: 'string', multiple: true },
  ...INSTALL_POSTGRES_FLAG,
  ...PROGRESS_FLAGS,
} as const;

export const restoreCommand: Command = {
  name: NAME,
  summary: 'restore a backup into DIR and recover to a point in time (PITR), timing every stage (RTO)',
  usage: `Usage: pgdr restore DIR [--backup-id ID|latest] [--target-time T | --target-lsn L | --target-xid X |
  --target-name N | --target-immediate] [--target-tli latest|N] [--exclusive]
  [--target-action promote|pause|shutdown] [--tablespace NAME:LOCATION]... [--delta] [--plan] [--no-start] [--port P]
  [--install-postgres] [--format table|json]

Plans first (backup chosen as CloudNativePG does, WAL range checked segment by segment, target inside the
recovery window, PostgreSQL binaries of the backup's major present) and refuses what cannot work, writing
nothing. Then downloads and extracts the tars into DIR (which must be missing or empty, or hold the
pgsql_tmp.pgdr-restore-unfinished marker of a pgdr restore that did not finish: that one is cleared and
restarted), checks the result (PG_VERSION, global/pg_control, backup_label, and every file against the
backup's pgdr manifest when it has one), writes the recovery settings (restore_command = pgdr wal restore with
prefetch) and recovery.signal, syncs everything to disk, starts PostgreSQL on 127.0.0.1 and waits until the
target is reached. The server keeps running afterwards.

  --backup-id ID|latest      the backup to start from (default: newest DONE one before the target)
  --target-time T            '2024-12-15 07:30:00+00' (no zone means UTC)
  --target-lsn L             e.g. 0/7000000
  --target-xid X             a transaction id
  --target-name N            a restore point (pg_create_restore_point)
  --target-immediate         stop as soon as the backup is consistent
  --target-tli latest|N      the timeline to follow (default latest)
  --exclusive                stop just before the target (recovery_target_inclusive = off)
  --target-action A          promote (default), pause or shutdown once the target is reached
  --tablespace NAME:LOCATION extract tablespace NAME into LOCATION (absolute, missing or empty) instead of
                             its original location (as barman-cloud-restore --tablespace); repeatable;
                             needed when backup.info gives a location that is not absolute or lies in DIR
  --delta                    DIR is an existing data directory of the same cluster (a stopped former primary,
                             a replica to rebuild): keep the files that already match the backup, write only
                             what differs, remove what the backup does not hold, empty pg_wal, then recover as
                             usual; a pgdr incremental chain too (only the links' tars holding a differing file
                             are downloaded), and each tablespace's folder (the one pg_tblspc/<oid> points to, or
                             an empty one). Refused, with nothing changed, unless DIR is provably a PostgreSQL data
                             directory of the backup's system identifier and major with no server running
  --plan                     print the plan and stop (nothing is written)
  --no-start                 prepare DIR but do not start PostgreSQL
  --port P                   port to listen on (default: a free one)
${installPostgresUsage(29)}
  --format table|json        output format

${PROGRESS_USAGE}

${STORE_USAGE}`,
  async run(argv, ctx) {
    const p = parse(argv, FLAGS, NAME);
    const [dirArg] = positionals(p, NAME, 1, 1, 'DIR (the data folder to restore into)');
    const format = oneOf(p, 'format', ['table', 'json'] as const, 'table', NAME);
    const target = parseTarget({
      time: str(p, 'target-time'),
      lsn: str(p, 'target-lsn'),
      xid: str(p, 'target-xid'),
      name: str(p, 'target-name'),
      immediate: flag(p, 'target-immediate'),
    });
    const action = oneOf<TargetAction>(p, 'target-action', ['promote', 'pause', 'shutdown'], 'promote', NAME);
    const tli = str(p, 'target-tli');
    if (tli !== undefined && tli !== 'latest' && !/^[1-9]\d*$/.test(tli)) {
      throw new PgdrError(
        'USAGE',
        `restore: --target-tli must be latest or a timeline number (got '${tli}')`,
      );
    }
    const portText = str(p, 'port');
    const port = portText === undefined ? undefined : Number(portText);
    if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) {
      throw new PgdrError('USAGE', `restore: --port must be 1..65535 (got '${portText}')`);
    }
    const tablespaceMap = tablespaces(p.values.tablespace as string[] | undefined);
    const dir = resolve(ctx.cwd, dirArg!);
    const result = await withRestoreRun(p, ctx, NAME, (run) =>
      restore({
        ...run,
        dir,
        target,
        backupRef: str(p, 'backup-id'),
        tablespaceMap,
        delta: flag(p, 'delta'),
        targetTli: tli === undefined || tli === 'latest' ? 'latest' : Number(tli),
        inclusive: !flag(p, 'exclusive'),
        action,
        planOnly: flag(p, 'plan'),
        start: !flag(p, 'no-start'),
        port,
      }),
    );
    if (format === 'json') json(ctx, restoreJson(result));
    else line(ctx, restoreText(result));
    return 0;
  },
};

/** `--tablespace NAME:LOCATION`, repeatable, as barman-cloud-restore takes it. */
function tablespaces(values: readonly string[] | undefined): Record<string, string> | undefined {
  if (!values?.length) return undefined;
  const map: Record<string, string> = {};
  for (const v of values) {
    const i = v.indexOf(':');
    const name = v.slice(0, i);
    const location = v.slice(i + 1);
    if (i <= 0 || !isAbsolute(location)) {
      throw new PgdrError(
        'USAGE',
        `restore: --tablespace wants NAME:LOCATION with an absolute LOCATION (got '${v}')`,
        {
          hint: 'e.g. --tablespace fast:/mnt/ssd/fast',
        },
      );
    }
    if (map[name] !== undefined) throw new PgdrError('USAGE', `restore: --tablespace ${name} given twice`);
    map[name] = location;
  }
  return map;
}
