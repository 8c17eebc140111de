import { promises as fsp } from 'node:fs';
import { resolve } from 'node:path';
import { drillMarkdown, drillText } from '../../drill/drill-format.js';
import { checkTargetInput } from '../../drill/drill-target.js';
import { runDrill } from '../../drill/run-drill.js';
import { ERRORS, PgdrError } from '../../errors.js';
import { AMCHECK_FLAGS, AMCHECK_USAGE, amcheckBoundsFromFlags } from '../amcheck-flags.js';
import { type FlagSpec, FORMAT_FLAG, flag, oneOf, parseFlagsOnly, STORE_FLAGS, str } from '../args.js';
import { STORE_USAGE } from '../context.js';
import { DATA_CHECK_FLAGS, dataChecksFromFlags } from '../data-check-flags.js';
import { durationFlag } from '../duration-flag.js';
import type { Command } from '../main.js';
import { json, line } from '../output.js';
import { INSTALL_POSTGRES_FLAG, installPostgresUsage } from '../postgres-binaries.js';
import { PROGRESS_FLAGS, PROGRESS_USAGE, verdictText } from '../progress-flags.js';
import { withRestoreRun } from '../restore-run.js';

const NAME = 'drill';

const FLAGS: FlagSpec = {
  ...STORE_FLAGS,
  ...FORMAT_FLAG,
  target: { type: 'string' },
  ...DATA_CHECK_FLAGS,
  database: { type: 'string' },
  keep: { type: 'boolean' },
  report: { type: 'string' },
  notify: { type: 'string' },
  scenario: { type: 'string' },
  'max-wal-age': { type: 'string' },
  'max-backup-age': { type: 'string' },
  ...AMCHECK_FLAGS,
  ...PROGRESS_FLAGS,
  ...INSTALL_POSTGRES_FLAG,
};

export const drillCommand: Command = {
  name: NAME,
  summary: 'restore drill: restore into a throwaway cluster, verify, time RTO per stage and the RPO',
  usage: `Usage: pgdr drill [--target latest|random|TIME] [--preset mastodon] [--checks FILE] [--database DB]
                  [--keep] [--report FILE] [--format table|json|markdown] [--notify URL]
                  [--scenario restore|replica] [--max-wal-age D] [--max-backup-age D]
                  [--amcheck-budget D] [--amcheck-max-relations N] [--amcheck-max-indexes N]
                  [--install-postgres] [store options]

The automated DR test, fail-closed. Stages, each pass, fail or skip with its duration:
  preflight   pgdr check on the bucket (a failing check stops the drill)
  plan        choose the backup, timeline and WAL; --target latest (default), random (a time picked inside
              the current timeline's recovery window, then checked to be reached) or a time
  fetch       download and extract the backup into a throwaway folder under the temp folder
  replay      start PostgreSQL of the backup's major on a free port and replay the archived WAL
  promote     end recovery (the server accepts writes)
  verify      pgdr verify: recovery state, amcheck, checksums and the --preset/--checks data checks,
              run in --database (default postgres; Mastodon's is mastodon_production). amcheck runs in
              every database: verify_heapam reads every table, TOAST table and materialized view (a lost
              or damaged relation file fails the drill, named with its file), bt_index_check every btree
              index. A check cut short by its bounds, or impossible (PostgreSQL 13 has no verify_heapam),
              leaves the drill passing only as "partial verification", said in the result
  cleanup     stop the server and remove the folder (unless --keep); a failed cleanup fails the drill
RTO = plan + fetch + replay + promote + verify: the time until a verified database serves again.
RPO = newest archived WAL's upload time - newest replayed transaction (latest targets only).

The result is appended to the bucket as <server>/pgdr/drills/<start>-<id>.json (barman ignores it; see
pgdr drill history). --notify POSTs the JSON report (10 s timeout, one retry); a failed notification is
reported but does not change the result. --report FILE writes the JSON report too.
--scenario replica plays the monthly "test replica cluster" item instead: fetch downloads the latest backup
and starts it as a hot standby, replay waits until it has replayed the newest archived WAL (its lag at start
and at catch-up in the detail), promote runs pg_ctl promote with archiving left off, then verify and cleanup.

${AMCHECK_USAGE}
${installPostgresUsage(25)}

Exit code: 0 the drill passed, 52 it failed (the report names the failing stage).

${PROGRESS_USAGE}

${STORE_USAGE}`,
  async run(argv, ctx) {
    const p = parseFlagsOnly(argv, FLAGS, NAME);
    const format = oneOf(p, 'format', ['table', 'json', 'markdown'] as const, 'table', NAME);
    const scenario = oneOf(p, 'scenario', ['restore', 'replica'] as const, 'restore', NAME);
    const target = str(p, 'target') ?? 'latest';
    try {
      checkTargetInput(target);
    } catch {
      throw new PgdrError('USAGE', `${NAME}: --target must be latest, random or a time (got '${target}')`, {
        hint: "e.g. --target '2024-12-15 07:30:00+00' (no zone means UTC)",
      });
    }
    const dataChecks = dataChecksFromFlags(p, ctx.cwd, NAME);
    const maxWalAgeMs = durationFlag(p, 'max-wal-age', NAME);
    const maxBackupAgeMs = durationFlag(p, 'max-backup-age', NAME);
    const amcheckBounds = amcheckBoundsFromFlags(p, NAME);
    const report = await withRestoreRun(p, ctx, NAME, (run) =>
      runDrill({
        ...run,
        target,
        scenario,
        dataChecks,
        database: str(p, 'database'),
        amcheckBounds,
        keep: flag(p, 'keep'),
        notifyUrl: str(p, 'notify'),
        ...(maxWalAgeMs !== undefined ? { maxWalAgeMs } : {}),
        ...(maxBackupAgeMs !== undefined ? { maxBackupAgeMs } : {}),
        // The drill's own notes are its stage names: said as such in a log.
        onStage: (s) =>
          run.progress.emit({ type: 'stage', message: /^[a-z]+$/.test(s) ? `drill stage: ${s}` : s }),
      }),
    );
    const reportFile = str(p, 'report');
    if (reportFile !== undefined) {
      await fsp.writeFile(resolve(ctx.cwd, reportFile), `${JSON.stringify(report, null, 2)}\n`);
    }
    if (format === 'json') json(ctx, report);
    else line(ctx, format === 'markdown' ? drillMarkdown(report) : verdictText(ctx, drillText(report)));
    return report.result === 'pass' ? 0 : ERRORS.DRILL_FAILED.exitCode;
  },
};
