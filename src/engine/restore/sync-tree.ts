// Makes a restored tree durable before the restore reports success: fsync of every regular file and every
// folder below each root (a folder's fsync makes its entries durable, the symbolic links in pg_tblspc
// included), then of each root's parent. Node has no syncfs(2), and syncfs would flush unrelated writers too and
// (before Linux 5.8) not report write-back errors; per-file fsync does, as PostgreSQL's own start-up sync does.
// Entries that vanish while the walk runs (the WAL service renames spool files) are skipped.
import { constants, promises as fsp } from 'node:fs';
import { dirname, join } from 'node:path';
import { mapLimit } from '../../common/map-limit.js';
import { localFileError } from '../../errors.js';

export interface SyncStats {
  readonly files: number;
  readonly dirs: number;
  readonly seconds: number;
}

/** fsync calls in flight: enough to keep a device queue busy, bounded by libuv's thread pool anyway. */
const SYNC_CONCURRENCY = 16;

export async function syncTrees(roots: readonly string[]): Promise<SyncStats> {
  const t0 = performance.now();
  const files: string[] = [];
  const dirs: string[] = [];
  for (const root of new Set(roots)) await walk(root, files, dirs);
  await mapLimit(files, SYNC_CONCURRENCY, (p) => syncPath(p, false));
  // Folders after their files, deepest first: a folder's entries are final once its children are synced.
  dirs.sort((a, b) => b.length - a.length);
  await mapLimit(dirs, SYNC_CONCURRENCY, (p) => syncPath(p, true));
  for (const parent of new Set([...roots].map((r) => dirname(r)))) await syncPath(parent, true);
  return {
    files: files.length,
    dirs: dirs.length,
    seconds: Math.round(performance.now() - t0) / 1000,
  };
}

async function walk(dir: string, files: string[], dirs: string[]): Promise<void> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await fsp.readdir(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw localFileError(e, dir, 'read');
  }
  dirs.push(dir);
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await walk(p, files, dirs);
    else if (e.isFile()) files.push(p);
  }
}

async function syncPath(path: string, dir: boolean): Promise<void> {
  const flags = constants.O_NOFOLLOW | (dir ? constants.O_DIRECTORY : 0);
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(path, constants.O_RDONLY | flags).catch(async (e: NodeJS.ErrnoException) => {
      // A file the tar made write-only: fsync works through any descriptor.
      if (e.code === 'EACCES' && !dir) return fsp.open(path, constants.O_WRONLY | flags);
      throw e;
    });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw localFileError(e, path, 'sync');
  }
  try {
    await fh.sync();
  } catch (e) {
    throw localFileError(e, path, 'sync');
  } finally {
    await fh.close();
  }
}
