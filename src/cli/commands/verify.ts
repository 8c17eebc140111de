import { PgdrError } from '../../errors.js';
import { parseCaptured } from '../../verify/captured.js';
import { reportJson, reportText } from '../../verify/report-format.js';
import { verifyDatabase } from '../../verify/verify-database.js';
import { AMCHECK_FLAGS, AMCHECK_USAGE, amcheckBoundsFromFlags } from '../amcheck-flags.js';
import type { FlagSpec, Parsed } from '../args.js';
import { FORMAT_FLAG, flag, oneOf, parseFlagsOnly, STORE_FLAGS, str } from '../args.js';
import { exitCodeOf } from '../checks-exit-code.js';
import { configFrom } from '../context.js';
import { DATA_CHECK_FLAGS, dataChecksFromFlags, readText } from '../data-check-flags.js';
import type { CliContext, Command } from '../main.js';
import { json, line } from '../output.js';
import { verdictText } from '../progress-flags.js';

const NAME = 'verify';

const FLAGS: FlagSpec = {
  ...STORE_FLAGS,
  ...FORMAT_FLAG,
  connection: { type: 'string' },
  ...DATA_CHECK_FLAGS,
  'expect-from': { type: 'string' },
  'expect-standby': { type: 'boolean' },
  'no-amcheck': { type: 'boolean' },
  ...AMCHECK_FLAGS,
};

export const verifyCommand: Command = {
  name: NAME,
  summary:
    'post-recovery validation of a running PostgreSQL: recovery state, amcheck, checksums, data checks',
  usage: `Usage: pgdr verify --connection URL [--preset mastodon] [--checks FILE] [--expect-from FILE]
                   [--expect-standby] [--no-amcheck] [--format table|json]

Checks a (restored) server: connectivity, server-version, recovery-state (a server still in recovery warns
unless --expect-standby), amcheck-heap (verify_heapam on every table, TOAST table and materialized view:
reads every page, names a relation whose file is missing or damaged; PostgreSQL 14 and later), amcheck
(bt_index_check on every btree index; amcheck creates its extension on a writable server), data checks, and
checksums (failures counted after the data was read). amcheck checks the database of --connection.

  --connection URL       postgresql://user@host:port/db or libpq key=value (default: postgres.connection)
  --preset mastodon      counts of accounts, users, statuses and the newest status (freshness)
  --checks FILE          YAML list of {name, sql, min, max, equals, fresherThan: 2d, compare, severity}
  --expect-from FILE     a JSON report captured earlier (pgdr verify --format json on the primary): each data
                         check's value must be >= the captured one (counts, times) or equal (text)
  --expect-standby       the server must still be in recovery (a replica)
  --no-amcheck           skip amcheck (e.g. when capturing on the primary)
${AMCHECK_USAGE}

Data checks run read-only with a statement timeout. Exit code: 0 all passed, 50 some warned, 51 some failed.`,
  async run(argv, ctx) {
    const p = parseFlagsOnly(argv, FLAGS, NAME);
    const format = oneOf(p, 'format', ['table', 'json'] as const, 'table', NAME);
    const dataChecks = dataChecksFromFlags(p, ctx.cwd, NAME);
    const expectFrom = str(p, 'expect-from');
    const captured =
      expectFrom === undefined
        ? undefined
        : parseCaptured(readText(ctx.cwd, expectFrom, '--expect-from'), expectFrom);
    const report = await verifyDatabase({
      connection: connectionOf(p, ctx),
      dataChecks,
      captured,
      expectStandby: flag(p, 'expect-standby'),
      amcheck: !flag(p, 'no-amcheck'),
      amcheckBounds: amcheckBoundsFromFlags(p, NAME),
      signal: ctx.signal,
    });
    const f = report.facts;
    const server = f && {
      version: f.version,
      versionNum: f.versionNum,
      inRecovery: f.inRecovery,
      lastReplayAt: f.lastReplayAt?.toISOString() ?? null,
    };
    if (format === 'json')
      json(ctx, reportJson(report, { target: report.target, server, amcheck: report.amcheck }));
    else line(ctx, verdictText(ctx, reportText(report, `Verification of ${report.target}`)));
    return exitCodeOf(report.result);
  },
};

function connectionOf(p: Parsed, ctx: CliContext): string {
  const given = str(p, 'connection');
  if (given !== undefined) return given;
  let fromConfig: string | undefined;
  try {
    fromConfig = configFrom(p, ctx).postgres.connection;
  } catch (e) {
    // verify needs no bucket: without an explicit --config, a config incomplete for the store is no reason
    // to fail here, and the missing connection is the error worth reporting.
    if (str(p, 'config') !== undefined) throw e;
    fromConfig = undefined;
  }
  if (fromConfig === undefined) {
    throw new PgdrError('USAGE', `${NAME}: no --connection and no postgres.connection in the configuration`, {
      hint: 'pass --connection postgresql://USER@HOST:PORT/DB',
    });
  }
  return fromConfig;
}
