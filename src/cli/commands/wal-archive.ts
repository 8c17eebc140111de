// The codecs are loaded only for a synchronous archive: a call the WAL service answers needs none of them.
import { basename, resolve } from 'node:path';
import { walKey } from '../../catalog/wal-name.js';
import { archiveThroughService } from '../../engine/wal-service/client.js';
import { FORMAT_FLAG, oneOf, parse, positionals, STORE_FLAGS, str } from '../args.js';
import { configFrom, withCommandBudget, withStore } from '../context.js';
import type { Command } from '../main.js';
import { json } from '../output.js';
import { STORE_USAGE } from '../store-usage.js';
import { walServiceClient } from '../wal-request.js';
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
CONFLICT and nothing is overwritten. With wal.maxParallel N > 1 the WAL service of this WAL folder (started
on demand, see docs/wal-service.md) uploads the .ready files N at a time, and a call returns as soon as the
service has stored its file; without a healthy service the call archives the file itself. The whole call
gives up after objectStore.timeouts.command (default 2m) with STORE_UNREACHABLE or STORE_ERROR; PostgreSQL
calls it again. Prints nothing, unless -o/--format json: {"name", "key", "outcome" (stored, already-stored,
stored-ahead: by the service before this call), "bytes"}.

${WAL_USAGE}

${STORE_USAGE}`,
  async run(argv, ctx) {
    const p = parse(argv, { ...STORE_FLAGS, ...WAL_FLAGS, ...FORMAT_FLAG }, NAME);
    const [path] = positionals(p, NAME, 1, 1, 'PATH');
    const asJson = oneOf(p, 'format', ['text', 'json'] as const, 'text', NAME) === 'json';
    const file = resolve(ctx.cwd, path!);
    const config = configFrom(p, ctx);
    const wal = walSettings(p, config, NAME);
    const client =
      wal.maxParallel > 1
        ? await walServiceClient(
            { mode: 'archive', argv, positionals: 1, configFlag: str(p, 'config'), walPath: file },
            ctx,
          )
        : undefined;
    return withCommandBudget(config, NAME, ctx, async (signal) => {
      // The WAL service stored it (before this call or while it waited), or this call archives it itself.
      const via = client && (await archiveThroughService(file, { ...client, signal }));
      if (via) {
        const key = walKey(config.serverName, basename(file), wal.compression);
        if (asJson) json(ctx, { name: basename(file), key, outcome: via, bytes: 0 });
        return 0;
      }
      const { archiveFile } = await import('../../engine/wal-archive.js');
      const r = await withStore(config, (store) =>
        archiveFile(file, { store, serverName: config.serverName, ...wal, signal }),
      );
      if (asJson) json(ctx, { name: r.name, key: r.key, outcome: r.outcome, bytes: r.bytes });
      return 0;
    });
  },
};
