import { readHistory } from '../../drill/drill-history.js';
import { historyJson, historyText } from '../../drill/history-format.js';
import { PgdrError } from '../../errors.js';
import { type FlagSpec, FORMAT_FLAG, oneOf, parseFlagsOnly, STORE_FLAGS, str } from '../args.js';
import { configFrom, STORE_USAGE, withStore } from '../context.js';
import type { Command } from '../main.js';
import { json, line } from '../output.js';

const NAME = 'drill history';

const FLAGS: FlagSpec = { ...STORE_FLAGS, ...FORMAT_FLAG, limit: { type: 'string' } };

export const drillHistoryCommand: Command = {
  name: NAME,
  summary: 'past restore drills (newest first): result, target, backup, RTO, RPO and the RTO trend',
  usage: `Usage: pgdr drill history [--format table|json] [--limit N] [store options]

Reads the drill reports recorded in the bucket under <server>/pgdr/drills/ (newest first, default the last
50) and shows the RTO trend (min/median/max and a sparkline of the last 20 drills that got that far).

${STORE_USAGE}`,
  async run(argv, ctx) {
    const p = parseFlagsOnly(argv, FLAGS, NAME);
    const format = oneOf(p, 'format', ['table', 'json'] as const, 'table', NAME);
    const limitText = str(p, 'limit') ?? '50';
    const limit = Number(limitText);
    if (!Number.isInteger(limit) || limit < 1) {
      throw new PgdrError('USAGE', `${NAME}: --limit must be a positive integer (got '${limitText}')`);
    }
    const config = configFrom(p, ctx);
    const entries = await withStore(config, async (store) => {
      await store.checkAccess({ signal: ctx.signal });
      return readHistory(store, config.serverName, { limit, signal: ctx.signal });
    });
    if (format === 'json') json(ctx, { serverName: config.serverName, ...historyJson(entries) });
    else line(ctx, historyText(entries, config.serverName));
    return 0;
  },
};
