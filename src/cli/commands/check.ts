import { DURATION_SYNTAX } from '../../config/objectives.js';
import { reportJson, reportText } from '../../verify/report-format.js';
import { runChecks } from '../../verify/run-checks.js';
import { type FlagSpec, FORMAT_FLAG, oneOf, parseFlagsOnly, STORE_FLAGS, str } from '../args.js';
import { exitCodeOf } from '../checks-exit-code.js';
import { configFrom, STORE_USAGE, withStore } from '../context.js';
import { durationFlag } from '../duration-flag.js';
import type { Command } from '../main.js';
import { json, line } from '../output.js';
import { verdictText } from '../progress-flags.js';

const NAME = 'check';

const FLAGS: FlagSpec = {
  ...STORE_FLAGS,
  ...FORMAT_FLAG,
  connection: { type: 'string' },
  'new-cluster': { type: 'string' },
  'max-wal-age': { type: 'string' },
  'max-backup-age': { type: 'string' },
};

export const checkCommand: Command = {
  name: NAME,
  summary: 'pre-recovery checks: store access, backups, WAL continuity, RPO, archiver health',
  usage: `Usage: pgdr check [--format table|json] [--connection URL] [--new-cluster NAME]
                  [--max-wal-age DURATION] [--max-backup-age DURATION] [store options]

Runs named checks, each pass, warn, fail or skip with a one-line finding and a hint:
  store-reachable, credentials, bucket   the object store answers, accepts the keys, the bucket exists
  upload-settings                        with encryption or tags configured: the store takes an upload
                                         carrying them (a probe object under SERVER/pgdr/, deleted again)
  backups                                serverName has DONE backups (else: the server names that do exist)
  wal-continuity                         no WAL gap from the oldest backup to the newest WAL, per timeline
  wal-age                                newest archived WAL vs --max-wal-age, else objectives.rpo of the
                                         configuration, else the primary's archive_timeout + 1m, else 6m
                                         (5m + 1m to upload): the data lost if the primary died now (RPO)
  backup-age                             newest DONE backup vs --max-backup-age, else objectives.backupAge
                                         (default 26h: daily)
With postgres.connection (or --connection), on the primary that archives into serverName:
  postgres, archiver, archive-backlog    connection, pg_stat_archiver failures, .ready files waiting
  cluster-identity                       its system identifier is the one of the backups
With --new-cluster NAME:
  archive-destination                    NAME/wals/ is empty, so a new or restored cluster may archive there
                                         (else CloudNativePG stops with "WAL archive check failed")

${DURATION_SYNTAX}
Exit code: 0 all passed, 50 some warned, 51 some failed.

${STORE_USAGE}`,
  async run(argv, ctx) {
    const p = parseFlagsOnly(argv, FLAGS, NAME);
    const format = oneOf(p, 'format', ['table', 'json'] as const, 'table', NAME);
    const walAgeFlag = durationFlag(p, 'max-wal-age', NAME);
    const config = configFrom(p, ctx);
    // The flags, else the configuration's objectives; without either, the RPO limit comes from the primary.
    const maxWalAgeMs = walAgeFlag ?? config.objectives?.rpoMs;
    const maxWalAgeBasis = walAgeFlag === undefined ? `objectives.rpo (${config.source})` : '--max-wal-age';
    const maxBackupAgeMs = durationFlag(p, 'max-backup-age', NAME) ?? config.objectives?.backupAgeMs;
    const report = await withStore(config, (store) =>
      runChecks({
        store,
        serverName: config.serverName,
        connection: str(p, 'connection') ?? config.postgres.connection,
        newClusterServerName: str(p, 'new-cluster'),
        ...(maxWalAgeMs !== undefined ? { maxWalAgeMs, maxWalAgeBasis } : {}),
        ...(maxBackupAgeMs !== undefined ? { maxBackupAgeMs } : {}),
        signal: ctx.signal,
      }),
    );
    if (format === 'json') {
      json(ctx, reportJson(report, { serverName: report.serverName, destination: report.destination }));
    } else {
      line(
        ctx,
        verdictText(
          ctx,
          reportText(report, `Checks of server ${report.serverName} in ${report.destination}`),
        ),
      );
    }
    return exitCodeOf(report.result);
  },
};
