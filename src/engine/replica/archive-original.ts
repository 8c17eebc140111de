// Turns the cluster restore() left running (archive_command 'false' on its command line, so nothing was
// archived yet) into one that archives under the original serverName: stop it, append the settings to
// postgresql.auto.conf (so a restart by the operator keeps them), start it again without command-line
// overrides, and wait until the new timeline's history file is in the original archive. The .ready files
// waited meanwhile, so nothing written since the promotion is skipped.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { listWal } from '../../catalog/wal-catalog.js';
import type { ObjectStoreConfig, WalConfig } from '../../config/types.js';
import { PgdrError } from '../../errors.js';
import type { PostgresBinaries } from '../../postgres/binaries.js';
import { chownToServerUser, resolveServerUser } from '../../postgres/os-user.js';
import { PostgresServer } from '../../postgres/server.js';
import { shCommand } from '../../shell-quote.js';
import type { ServerTarget } from '../../storage/object-store.js';
import type { RunningServer } from '../restore/restore.js';
import { stopRestoredServer } from '../restore/stop-server.js';
import { confLine } from '../restore/target.js';
import { writeArchiveConfig } from './archive-config.js';
import { waitForHistory } from './promote-server.js';

export interface ArchiveOriginalOptions extends ServerTarget {
  readonly server: RunningServer;
  readonly bin: PostgresBinaries;
  /** The store, as configured: the restored cluster archives into it (archive-config.ts). */
  readonly objectStore: ObjectStoreConfig;
  readonly timeline: number;
  readonly wal: WalConfig;
  readonly pgdrCommand: readonly string[];
}

export interface ArchiveOriginalResult {
  readonly archiveConfigFile: string;
  readonly archiveCommand: string;
}

export async function archiveUnderOriginal(o: ArchiveOriginalOptions): Promise<ArchiveOriginalResult> {
  const s = o.server;
  const configFile = await writeArchiveConfig({
    pgdata: s.pgdata,
    serverName: o.serverName,
    objectStore: o.objectStore,
    wal: o.wal,
  });
  const archiveCommand = `${shCommand([...o.pgdrCommand, 'wal', 'archive', '--config', configFile])} %p`;
  await stopRestoredServer(s);
  // The backup carried the recovered cluster's postgresql.auto.conf: its port, socket folder and an
  // archive_command into the recovered cluster's serverName. Appended lines win over those.
  const lines = [
    '',
    `# pgdr failback run --option original: archive under ${o.serverName} on timeline ${o.timeline}`,
    confLine('listen_addresses', '127.0.0.1'),
    confLine('port', String(s.port)),
    confLine('unix_socket_directories', s.socketDir),
    confLine('archive_mode', 'on'),
    confLine('archive_command', archiveCommand),
    '',
  ];
  const auto = join(s.pgdata, 'postgresql.auto.conf');
  await fsp.appendFile(auto, lines.join('\n'), { mode: 0o600 });
  const user = await resolveServerUser();
  await chownToServerUser(auto, user);
  await PostgresServer.start({
    bin: o.bin,
    pgdata: s.pgdata,
    port: s.port,
    socketDir: s.socketDir,
    logFile: s.logFile,
    runAs: user,
    timeoutSeconds: 300,
  });
  const archived = await waitForHistory({
    list: async () => (await listWal(o.store, o.serverName, { signal: o.signal })).objects,
    timeline: o.timeline,
    signal: o.signal,
  });
  if (!archived) {
    throw new PgdrError(
      'WAL_MISSING',
      `the restored cluster did not archive the history file of timeline ${o.timeline} under ${o.serverName}`,
      { hint: `it is running on 127.0.0.1:${s.port}: see ${s.logFile} for archive_command errors` },
    );
  }
  return { archiveConfigFile: configFile, archiveCommand };
}
