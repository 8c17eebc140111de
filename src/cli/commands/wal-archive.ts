// Only what a marker hit needs is imported up front (see wal-archive-marker.ts); PostgreSQL waits for each call.
import { resolve } from 'node:path';
import { consumeMarker } from '../../engine/wal-archive-marker.js';
import { parse, positionals, STORE_FLAGS, str } from '../args.js';
import { callFingerprint } from '../call-fingerprint.js';
import type { Command } from '../main.js';
import { STORE_USAGE } from '../store-usage.js';
import { WAL_FLAGS, WAL_USAGE, walSettings } from './wal-flags.js';

const NAME = 'wal archive';

export const walArchive: Command = {
  name: NAME,
  summary: "archive one WAL file (PostgreSQL's archive_command), as barman-cloud-wal-archive",
  usage: `Usage: pgdr wal archive [options] PATH

In postgresql.conf, with absolute paths (PostgreSQL runs it with its own PATH, in the data directory):
  archive_command = '/usr/local/bin/pgdr wal archive --config /etc/pgdr/pgdr.yaml %p'

Uploads the WAL file (segment, .partial, .backup or .history) to <serverName>/wals/ with the configured
compression, where barman-cloud-wal-archive puts it. Exits 0 only once it is stored. A copy already in the
archive (under any compression) with the same content is success; with different content it fails with
CONFLICT and nothing is overwritten. With wal.maxParallel N > 1 it also uploads up to N-1 of the next .ready
files, so PostgreSQL's following calls return at once. The whole call gives up after
objectStore.timeouts.command (default 2m) with STORE_UNREACHABLE or STORE_ERROR; PostgreSQL calls it again.

${WAL_USAGE}

${STORE_USAGE}`,
  async run(argv, ctx) {
    const p = parse(argv, { ...STORE_FLAGS, ...WAL_FLAGS }, NAME);
    const [path] = positionals(p, NAME, 1, 1, 'PATH');
    const file = resolve(ctx.cwd, path!);
    const fingerprint = await callFingerprint({
      argv,
      positionals: [path!],
      configFlag: str(p, 'config'),
      env: ctx.env,
      cwd: ctx.cwd,
      systemConfigFile: ctx.systemConfigFile,
    });
    // An earlier call with the same settings stored this very file ahead (same inode, size, mtime): done.
    if ((await consumeMarker(file, fingerprint)) !== undefined) return 0;
    const [{ configFrom, withCommandBudget, withStore }, { archiveWal }] = await Promise.all([
      import('../context.js'),
      import('../../engine/wal-archive-parallel.js'),
    ]);
    const config = configFrom(p, ctx);
    const wal = walSettings(p, config, NAME);
    return withStore(config, (store) =>
      withCommandBudget(config, NAME, ctx, async (signal) => {
        const r = await archiveWal(file, {
          store,
          serverName: config.serverName,
          ...wal,
          fingerprint,
          signal,
        });
        for (const a of r.ahead)
          if (a.error) ctx.stderr.write(`warning: ${a.name} not archived ahead: ${a.error}\n`);
        return 0;
      }),
    );
  },
};
