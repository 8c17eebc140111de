import { checkWalArchive } from '../../engine/check-wal-archive.js';
import { PgdrError } from '../../errors.js';
import { FORMAT_FLAG, oneOf, parseFlagsOnly, STORE_FLAGS, str } from '../args.js';
import { configFrom, STORE_USAGE, withStore } from '../context.js';
import type { Command } from '../main.js';
import { json, line } from '../output.js';

const NAME = 'check-wal-archive';

export const checkWalArchiveCommand: Command = {
  name: NAME,
  summary: 'check that the WAL archive is safe to archive into (as barman-cloud-check-wal-archive)',
  usage: `Usage: pgdr check-wal-archive [--timeline N] [--format text|json] [store options]

Fails (ARCHIVE_NOT_EMPTY) when <serverName>/wals/ already holds WAL, or with --timeline N when it holds WAL of
timeline N or newer: a new or restored server must not archive over another server's history. Use a new
serverName instead.

  --timeline N               only WAL of timeline >= N counts (for a server promoted to timeline N)
  -o, --format text|json     json: {"serverName", "timeline", "usable": true, "walFiles"} (a failure is the
                             {"error": ...} object, with the same exit code)

${STORE_USAGE}`,
  async run(argv, ctx) {
    const p = parseFlagsOnly(argv, { ...STORE_FLAGS, ...FORMAT_FLAG, timeline: { type: 'string' } }, NAME);
    const format = oneOf(p, 'format', ['text', 'json'] as const, 'text', NAME);
    const t = str(p, 'timeline');
    const timeline = t === undefined ? undefined : Number(t);
    if (timeline !== undefined && !(Number.isInteger(timeline) && timeline >= 1)) {
      throw new PgdrError('USAGE', `${NAME}: --timeline must be a positive integer (got '${t}')`);
    }
    const config = configFrom(p, ctx);
    const r = await withStore(config, (store) =>
      checkWalArchive({ store, serverName: config.serverName, timeline, signal: ctx.signal }),
    );
    if (format === 'json') {
      json(ctx, {
        serverName: config.serverName,
        timeline: timeline ?? null,
        usable: true,
        walFiles: r.walFiles,
      });
      return 0;
    }
    line(
      ctx,
      `WAL archive of ${config.serverName} is usable${r.walFiles ? ` (${r.walFiles} file(s) of older timelines)` : ''}.`,
    );
    return 0;
  },
};
