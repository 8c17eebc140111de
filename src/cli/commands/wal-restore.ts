// A segment the WAL service prefetched needs only the configuration: the store client and codecs are loaded
// after it, since most calls under prefetch are hits and PostgreSQL waits for each one.
import { resolve } from 'node:path';
import { parseWalName } from '../../catalog/wal-name.js';
import { handSeedOver, restoreThroughService } from '../../engine/wal-service/client.js';
import { PgdrError } from '../../errors.js';
import { FORMAT_FLAG, flag, oneOf, type Parsed, parse, positionals, STORE_FLAGS, str } from '../args.js';
import { configFrom, withCommandBudget, withStore } from '../context.js';
import { printJsonError } from '../json-error.js';
import { type Command, reportError } from '../main.js';
import { json } from '../output.js';
import { STORE_USAGE } from '../store-usage.js';
import { walServiceClient } from '../wal-request.js';
import { WAL_FLAGS, WAL_USAGE, walSettings } from './wal-flags.js';

const NAME = 'wal restore';

export const walRestore: Command = {
  name: NAME,
  summary: "fetch one WAL file (restore_command = 'pgdr wal restore %f %p'), as barman-cloud-wal-restore",
  usage: `Usage: pgdr wal restore [options] WALNAME DEST

Finds WALNAME in the archive whatever its compression suffix (serving X.partial for X, as barman does unless
--no-partial), decompresses it and writes DEST atomically. A segment must decompress to exactly the segment
size (read from global/pg_control of the current folder, PostgreSQL's data directory; otherwise any size
PostgreSQL allows), a history or backup label file to at most 1 MiB or 64 KiB: anything else is refused
(CATALOG_INVALID, exit 15) and no file is written. Exit codes: 0 restored, 1 not found (PostgreSQL
then ends recovery normally), others for real errors (see pgdr --help). With wal.maxParallel N > 1, the WAL
service of DEST's folder (started on demand, see docs/wal-service.md) prefetches the N segments after the
one asked for, so later calls are local renames.
The whole call gives up after objectStore.timeouts.command (default 2m) with STORE_UNREACHABLE or STORE_ERROR.

PostgreSQL reads every failing restore_command as "not found" and, at the end of an archive recovery, ends
recovery and promotes there, except for an exit status above 125: then it aborts recovery (FATAL). With
--damaged-exit, a damaged object exits with that status, so recovery stops at it instead of promoting without
the WAL after it; "not found" stays 1 and store errors keep their codes (PostgreSQL retries those). The
restore_command pgdr restore, replica create and drill write passes --damaged-exit 126.

  --no-partial               never serve X.partial for X
  --damaged-exit N           exit N (126-255, not 143) for a damaged object instead of 15 (CATALOG_INVALID)

${WAL_USAGE}

${STORE_USAGE}`,
  async run(argv, ctx) {
    const p = parse(argv, FLAGS, NAME);
    const [name, dest] = positionals(p, NAME, 2, 2, 'WALNAME and DEST');
    const damagedExit = damagedExitOf(p);
    const asJson = oneOf(p, 'format', ['text', 'json'] as const, 'text', NAME) === 'json';
    const config = configFrom(p, ctx);
    const { maxParallel } = walSettings(p, config, NAME);
    const target = resolve(ctx.cwd, dest!);
    const kind = parseWalName(name!)?.kind;
    const client =
      maxParallel > 1 && (kind === 'segment' || kind === 'history')
        ? await walServiceClient(
            { mode: 'restore', argv, positionals: 2, configFlag: str(p, 'config'), walPath: target },
            ctx,
          )
        : undefined;
    // The store is opened outside the budget, so that what the budget cut short fails with its own error
    // (naming the object) rather than waiting for the store to close.
    return withStore(config, (store) =>
      withCommandBudget(config, NAME, ctx, async (signal) => {
        // A restore's seed serves this call only if fetched from this very store and serverName.
        const seed = client && {
          store: store.displayUrl,
          serverName: config.serverName,
          configPath: client.request.configPath,
        };
        if (kind === 'history' && client) await handSeedOver({ ...client, seed, signal });
        const bytes =
          kind === 'segment' && client
            ? await restoreThroughService(name!, target, { ...client, seed, signal })
            : undefined;
        if (bytes !== undefined) {
          if (asJson) json(ctx, { name, source: 'spool', key: null, bytes });
          return 0;
        }
        const [{ restoreWal, damagedWalKey }, { controlSegmentSize }] = await Promise.all([
          import('../../engine/wal-restore.js'),
          import('../../postgres/control-file.js'),
        ]);
        // PostgreSQL runs restore_command in the data directory, whose pg_control holds the segment size.
        const segmentSize = await controlSegmentSize(ctx.cwd);
        try {
          const r = await restoreWal(name!, target, {
            store,
            serverName: config.serverName,
            // objectStore.wal.restoreAdditionalCommandArgs: [--no-partial] sets it for every call.
            noPartial: flag(p, 'no-partial') || config.objectStore.wal.noPartial === true,
            segmentSize,
            signal,
          });
          if (asJson) json(ctx, r);
        } catch (e) {
          if (damagedExit === undefined || damagedWalKey(e) === undefined) throw e;
          if (asJson) printJsonError(ctx, e);
          reportError(e, ctx, ctx.env);
          return damagedExit;
        }
        return 0;
      }),
    );
  },
};

/** Also the flags `wal service` accepts after `--`: those of the call that started it. */
export const FLAGS = {
  ...STORE_FLAGS,
  ...WAL_FLAGS,
  'no-partial': { type: 'boolean' },
  'damaged-exit': { type: 'string' },
  ...FORMAT_FLAG,
} as const;

/**
 * PostgreSQL aborts recovery on a status above 125 (wait_result_is_any_signal), except 143, which it takes
 * for a shutdown request (128 + SIGTERM) and exits quietly.
 */
function damagedExitOf(p: Parsed): number | undefined {
  const v = str(p, 'damaged-exit');
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 126 || n > 255 || n === 143) {
    throw new PgdrError(
      'USAGE',
      `${NAME}: --damaged-exit must be a status from 126 to 255 other than 143 (got '${v}')`,
      {
        hint: 'PostgreSQL aborts recovery only for a status above 125; 143 reads to it as a shutdown request',
      },
    );
  }
  return n;
}
