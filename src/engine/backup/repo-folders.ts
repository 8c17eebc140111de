// A backup run as root into a file:// repository would create <server>/ and <server>/base/<id>/ as root; the
// server's archive_command, which runs as PostgreSQL's OS user, then cannot create <server>/wals and archiving
// fails from that moment on. So, before anything is written, the folders a backup and the archive need are made
// and handed to the owner of the data directory: PostgreSQL refuses to start on a data directory it does not
// own, so that owner is exactly the user archive_command runs as. Folders that already exist are left as they are.
import { promises as fsp } from 'node:fs';
import { dirname, join } from 'node:path';
import { localFileError } from '../../errors.js';

export async function prepareRepoFolders(o: {
  root: string;
  serverName: string;
  /** The backup's folder under root, e.g. `<server>/base/<id>` or `<server>/pgdr/incremental/<id>`. */
  backupFolder: string;
  pgdata: string;
}): Promise<void> {
  if (process.getuid?.() !== 0) return;
  const owner = await fsp.stat(o.pgdata).catch((e) => {
    throw localFileError(e, o.pgdata, 'read the owner of');
  });
  if (owner.uid === 0) return;
  const made: string[] = [];
  const mkdir = async (path: string, recursive: boolean) => {
    try {
      const first = await fsp.mkdir(path, { recursive });
      if (!recursive) made.push(path);
      // mkdir -p returns the topmost folder it made: every folder from there down to path is new.
      else if (first !== undefined)
        for (let p = path; ; p = dirname(p)) {
          made.push(p);
          if (p === first || p === dirname(p)) break;
        }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw localFileError(e, path, 'create the folder');
    }
  };
  await mkdir(o.root, true);
  const server = join(o.root, o.serverName);
  const below = o.backupFolder.split('/').slice(1);
  const backupDirs = below.map((_, i) => join(server, ...below.slice(0, i + 1)));
  for (const dir of [server, join(server, 'wals'), join(server, 'base'), ...backupDirs])
    await mkdir(dir, false);
  for (const dir of made) {
    try {
      await fsp.chown(dir, owner.uid, owner.gid);
    } catch (e) {
      throw localFileError(e, dir, 'change the owner of');
    }
  }
}
