// A spool hit needs only the configuration (for the spool's origin): the store client and codecs are loaded
// after it, since most calls under prefetch are hits and PostgreSQL waits for each one.
import { dirname, join, resolve } from 'node:path';
import { parseWalName } from '../../catalog/wal-name.js';
import { spoolOrigin, takeFromSpool } from '../../engine/wal-spool.js';
import { flag, parse, positionals, STORE_FLAGS, str } from '../args.js';
import { callFingerprint } from '../call-fingerprint.js';
import { configFrom } from '../context.js';
import type { Command } from '../main.js';
import { STORE_USAGE } from '../store-usage.js';
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
(CATALOG_INVALID) and no file is written. Exit codes: 0 restored, 1 not found (PostgreSQL
then ends recovery normally), others for real errors (see pgdr --help). With wal.maxParallel N > 1, a fetch
also prefetches the next N-1 segments into DEST's folder/.pgdr-prefetch, so later calls are local renames.
The whole call gives up after objectStore.timeouts.command (default 2m) with STORE_UNREACHABLE or STORE_ERROR.

  --no-partial               never serve X.partial for X

${WAL_USAGE}

${STORE_USAGE}`,
  async run(argv, ctx) {
    const p = parse(argv, { ...STORE_FLAGS, ...WAL_FLAGS, 'no-partial': { type: 'boolean' } }, NAME);
    const [name, dest] = positionals(p, NAME, 2, 2, 'WALNAME and DEST');
    const config = configFrom(p, ctx);
    const { maxParallel } = walSettings(p, config, NAME);
    const target = resolve(ctx.cwd, dest!);
    const spoolDir = join(dirname(target), '.pgdr-prefetch');
    const origin = spoolOrigin({ ...config.objectStore, serverName: config.serverName });
    if (maxParallel > 1 && parseWalName(name!)?.kind === 'segment') {
      if ((await takeFromSpool({ dir: spoolDir, name: name!, dest: target, origin })) !== undefined) return 0;
    }
    const [{ withCommandBudget, withStore }, { restoreWal }, { controlSegmentSize }] = await Promise.all([
      import('../context.js'),
      import('../../engine/wal-restore.js'),
      import('../../postgres/control-file.js'),
    ]);
    // PostgreSQL runs restore_command in the data directory, whose pg_control holds the segment size.
    const segmentSize = await controlSegmentSize(ctx.cwd);
    const fingerprint = await callFingerprint({
      argv,
      positionals: [name!, dest!],
      configFlag: str(p, 'config'),
      env: ctx.env,
      cwd: ctx.cwd,
      systemConfigFile: ctx.systemConfigFile,
    });
    return withStore(config, (store) =>
      withCommandBudget(config, NAME, ctx, async (signal) => {
        await restoreWal(name!, target, {
          store,
          serverName: config.serverName,
          maxParallel,
          spoolDir,
          origin,
          fingerprint,
          noPartial: flag(p, 'no-partial'),
          segmentSize,
          signal,
        });
        return 0;
      }),
    );
  },
};
