import { checkWalArchive } from '../../engine/check-wal-archive.js';
import { PgdrError } from '../../errors.js';
import { parse, positionals, STORE_FLAGS, str } from '../args.js';
import { configFrom, STORE_USAGE, withStore } from '../context.js';
import type { Command } from '../main.js';
import { line } from '../output.js';

const NAME = 'check-wal-archive';

export const checkWalArchiveCommand: Command = {
  name: NAME,
  summary: 'check that the WAL archive is safe to archive into (as barman-cloud-check-wal-archive)',
  usage: `Usage: pgdr check-wal-archive [--timeline N] [store options]

Fails (ARCHIVE_NOT_EMPTY) when <serverName>/wals/ already holds WAL, or with --timeline N when it holds WAL of
timeline N or newer: a new or restored server must not archive over another server's history. Use a new
serverName instead.

  --timeline N               only WAL of timeline >= N counts (for a server promoted to timeline N)

${STORE_USAGE}`,
  async run(argv, ctx) {
    const p = parse(argv, { ...STORE_FLAGS, timeline: { type: 'string' } }, NAME);
    positionals(p, NAME, 0, 0, '');
    const t = str(p, 'timeline');
    const timeline = t === undefined ? undefined : Number(t);
    if (timeline !== undefined && !(Number.isInteger(timeline) && timeline >= 1)) {
      throw new PgdrError('USAGE', `${NAME}: --timeline must be a positive integer (got '${t}')`);
    }
    const config = configFrom(p, ctx);
    const r = await withStore(config, (store) =>
      checkWalArchive({ store, serverName: config.serverName, timeline, signal: ctx.signal }),
    );
    line(
      ctx,
      `WAL archive of ${config.serverName} is usable${r.walFiles ? ` (${r.walFiles} file(s) of older timelines)` : ''}.`,
    );
    return 0;
  },
};
