// Lists a directory tree the way barman's upload_directory sees it (os.walk, top-down, symlinked directories
// neither followed nor stored), filtered by barman's rules, with the tar names barman gives each entry.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { isPermissionError, localFileError, type PgdrError } from '../../errors.js';
import type { BlockHeader } from './block-file.js';
import { type PathRules, pathAllowed } from './path-filter.js';
import type { TarMember } from './tar-header.js';

export interface TreeEntry extends TarMember {
  /** Absolute path on disk. */
  readonly path: string;
  /** A block-level incremental's member: these blocks of the file at `path`, not the whole file. */
  readonly blocks?: BlockHeader;
}

export async function walkTree(src: string, rules: PathRules, signal?: AbortSignal): Promise<TreeEntry[]> {
  const out: TreeEntry[] = [];
  const stack: string[] = ['.'];
  while (stack.length > 0) {
    signal?.throwIfAborted();
    const rel = stack.pop()!;
    const dir = rel === '.' ? src : join(src, rel);
    let names: import('node:fs').Dirent[];
    try {
      names = await fsp.readdir(dir, { withFileTypes: true });
    } catch (e) {
      // A directory that vanished mid-walk is replayed from WAL, as barman assumes.
      if (code(e) === 'ENOENT') continue;
      throw unreadable(dir, e);
    }
    // As barman's upload_directory: an excluded directory's own files are skipped, but os.walk still descends into
    // its subdirectories (tablespaces rely on that).
    const dirAllowed = pathAllowed(rules, rel, true);
    if (dirAllowed) {
      const entry = await statEntry(dir, rel, 'dir');
      if (entry) out.push(entry);
    }
    const subdirs: string[] = [];
    for (const d of names) {
      const childRel = rel === '.' ? d.name : `${rel}/${d.name}`;
      const isDir = d.isDirectory() || (d.isSymbolicLink() && (await isDirTarget(join(dir, d.name))));
      if (isDir) {
        if (d.isDirectory()) subdirs.push(childRel);
        continue;
      }
      if (!dirAllowed) continue;
      // Top-level files get a './' prefix: os.path.join('.', name).
      const tarName = rel === '.' ? `./${d.name}` : childRel;
      if (!pathAllowed(rules, tarName, false)) continue;
      const entry = await statEntry(join(dir, d.name), tarName, d.isSymbolicLink() ? 'symlink' : 'file');
      if (entry) out.push(entry);
    }
    // Reverse so that popping visits subdirectories in listing order.
    for (let i = subdirs.length - 1; i >= 0; i--) stack.push(subdirs[i]!);
  }
  return out;
}

async function statEntry(
  path: string,
  name: string,
  type: TreeEntry['type'],
): Promise<TreeEntry | undefined> {
  try {
    const st = await fsp.lstat(path);
    // Sockets, FIFOs and devices: tarfile skips what it cannot store, and PGDATA holds none of them.
    if (type === 'file' && !st.isFile()) return undefined;
    const linkname = type === 'symlink' ? await fsp.readlink(path) : undefined;
    return {
      path,
      name,
      type,
      size: type === 'file' ? st.size : 0,
      mode: st.mode & 0o7777,
      uid: st.uid,
      gid: st.gid,
      mtime: Math.floor(st.mtimeMs / 1000),
      ...(linkname === undefined ? {} : { linkname }),
    };
  } catch (e) {
    if (code(e) === 'ENOENT') return undefined;
    throw unreadable(path, e);
  }
}

async function isDirTarget(path: string): Promise<boolean> {
  try {
    return (await fsp.stat(path)).isDirectory();
  } catch {
    return false;
  }
}

function code(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

/** A data-directory file pgdr may not read is PERMISSION_DENIED, any other failure LOCAL_IO, naming the path. */
export function unreadable(path: string, e: unknown): PgdrError {
  return localFileError(
    e,
    path,
    'read',
    isPermissionError(e)
      ? 'pgdr backup create reads the data directory directly: run it on the database host as root or as the PostgreSQL OS user'
      : undefined,
  );
}
