// The pgdr configuration a promoted server archives with: the store of the command's configuration, the new
// serverName and the configured WAL compression. A file of its own, so that the old primary's serverName can
// never be written to by mistake. It and its credential files live beside the data folder, in <pgdata>.pgdr/
// (the server user's, mode 0700), never inside it: the server archives for years, and a copy of its data
// folder (cp, rsync, a volume snapshot, a standby made from it) must not carry the bucket's credentials. The
// server user can reach it: it reaches the data folder in the same parent.
import { promises as fsp } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { ObjectStoreConfig, WalConfig } from '../../config/types.js';
import { localFileError, PgdrError } from '../../errors.js';
import { chownToServerUser, resolveServerUser } from '../../postgres/os-user.js';
import { writeStoreDocument } from '../restore/store-document.js';

export interface ArchiveConfigOptions {
  /** The data folder of the promoted server. */
  readonly pgdata: string;
  readonly serverName: string;
  readonly objectStore: ObjectStoreConfig;
  readonly wal: WalConfig;
}

/** <parent>/<name>.pgdr for the data folder <parent>/<name>. */
function archiveConfigDir(pgdata: string): string {
  return join(dirname(pgdata), `${basename(pgdata)}.pgdr`);
}

export async function writeArchiveConfig(o: ArchiveConfigOptions): Promise<string> {
  const dir = archiveConfigDir(o.pgdata);
  try {
    await fsp.mkdir(dir, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw localFileError(e, dir, 'create');
    // Ours from an earlier promotion of this folder; a link or a file there is somebody else's.
    if (!(await fsp.lstat(dir)).isDirectory()) {
      throw new PgdrError(
        'CONFLICT',
        `${dir} exists and is not a folder: pgdr keeps the archive configuration there`,
        {
          hint: `move it aside; nothing was changed`,
        },
      );
    }
  }
  const objectStore = await writeStoreDocument(dir, o.objectStore, { ...o.wal });
  // serverName holds only letters, digits, dot, dash and underscore (config/server-name.ts).
  const file = join(dir, `pgdr-archive-${o.serverName}.yaml`);
  const doc = { serverName: o.serverName, objectStore };
  await fsp.writeFile(file, `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o600 });
  await chownToServerUser(dir, await resolveServerUser(), true);
  return file;
}

/** A string literal for ALTER SYSTEM, which takes no parameters. */
export function sqlLiteral(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}
