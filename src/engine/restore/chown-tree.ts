// Hands a restored tree to the server user. Unlike chownToServerUser it tolerates entries vanishing while it
// walks: the WAL service (pg_wal/.pgdr-wal) renames and removes spool files in the same tree at the same time.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { ServerUser } from '../../postgres/os-user.js';

export async function chownTree(path: string, user: ServerUser | null): Promise<void> {
  if (user === null) return;
  const gone = (e: NodeJS.ErrnoException) => {
    if (e.code !== 'ENOENT') throw e;
  };
  await fsp.lchown(path, user.uid, user.gid).catch(gone);
  const entries = await fsp.readdir(path, { withFileTypes: true }).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return [];
    throw e;
  });
  for (const entry of entries) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) await chownTree(child, user);
    else await fsp.lchown(child, user.uid, user.gid).catch(gone);
  }
}
