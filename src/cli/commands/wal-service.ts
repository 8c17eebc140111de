// `pgdr wal service`: the resident WAL service of one WAL folder (engine/wal-service/). `wal archive` and
// `wal restore` start it detached, with their own options after `--`, when they find none healthy.
import { join } from 'node:path';
import { runWalService } from '../../engine/wal-service/service.js';
import { PgdrError } from '../../errors.js';
import { flag, parse, positionals, str } from '../args.js';
import { configFrom, withStore } from '../context.js';
import type { Command } from '../main.js';
import { walServiceClient } from '../wal-request.js';
import { walSettings } from './wal-flags.js';
import { FLAGS as RESTORE_FLAGS } from './wal-restore.js';

const NAME = 'wal service';
const IDLE_S = 30;

export const walService: Command = {
  name: NAME,
  summary: 'the WAL service of one WAL folder (started by wal archive / wal restore)',
  usage: `Usage: pgdr wal service --mode archive|restore --wal-dir DIR [--restore-after WALNAME] [--archiving WALNAME] [--idle SECONDS]
                        -- [OPTIONS]

Runs in the data directory, as PostgreSQL runs archive_command and restore_command. --mode archive: archives
DIR's .ready files wal.maxParallel at a time; --mode restore: prefetches the segments after the one
restore_command asked for last,
into DIR/.pgdr-wal (see docs/wal-service.md), leaving --archiving's file to the call archiving it; exits after --idle seconds (default ${IDLE_S}) without work.
OPTIONS are those of the wal archive or wal restore call that started it. One service per DIR: a second one
exits at once.`,
  async run(argv, ctx) {
    const cut = argv.indexOf('--');
    const own = parse(
      cut < 0 ? argv : argv.slice(0, cut),
      {
        'wal-dir': { type: 'string' },
        mode: { type: 'string' },
        'restore-after': { type: 'string' },
        archiving: { type: 'string' },
        idle: { type: 'string' },
      },
      NAME,
    );
    positionals(own, NAME, 0, 0, '');
    const walDir = str(own, 'wal-dir');
    const mode = str(own, 'mode');
    const idle = Number(str(own, 'idle') ?? IDLE_S);
    if (
      walDir === undefined ||
      (mode !== 'archive' && mode !== 'restore') ||
      !Number.isInteger(idle) ||
      idle < 1
    ) {
      throw new PgdrError(
        'USAGE',
        `${NAME}: --mode archive|restore and --wal-dir DIR are required, --idle is whole seconds`,
        {
          hint: `see: pgdr ${NAME} --help`,
        },
      );
    }
    const rest = cut < 0 ? [] : argv.slice(cut + 1);
    const p = parse(rest, RESTORE_FLAGS, NAME);
    const config = configFrom(p, ctx);
    const wal = walSettings(p, config, NAME);
    const client = await walServiceClient(
      { mode, argv: rest, positionals: 0, configFlag: str(p, 'config'), walPath: join(walDir, 'x') },
      ctx,
    );
    if (!client) return 0;
    const { controlSegmentSize } = await import('../../postgres/control-file.js');
    const segmentSize = await controlSegmentSize(ctx.cwd);
    await withStore(config, (store) =>
      runWalService({
        spool: client.spool,
        walDir,
        mode,
        cwd: ctx.cwd,
        request: client.request,
        store,
        serverName: config.serverName,
        ...wal,
        noPartial: flag(p, 'no-partial') || config.objectStore.wal.noPartial === true,
        segmentSize,
        idleMs: idle * 1000,
        restoreAfter: str(own, 'restore-after'),
        archiving: str(own, 'archiving'),
        signal: ctx.signal,
      }),
    );
    return 0;
  },
};
