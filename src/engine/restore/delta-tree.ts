// The local trees a delta restore (delta.ts) compares with a backup and prunes: the data directory and each
// tablespace's folder, walked without following a link, every path absolute. What a restore never writes is
// left out: in the data directory pgdr's marker, server logs and pg_wal (but for the files of the backup
// delta.ts keeps there); in a tablespace's folder everything but this major's PG_<major>_* folder (another major's, left by
// pg_upgrade, is not this cluster's).
import { constants, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { crcHex } from '../../compression/crc-hex.js';
import { localFileError } from '../../errors.js';
import { MARKER_NAME } from './restore-marker.js';

/** Top-level entries of the data directory no backup holds and a delta restore leaves alone. */
const KEPT_TOP = new Set([MARKER_NAME, 'log', 'pg_log', 'pg_wal', 'pg_xlog']);

export interface DeltaRoot {
  readonly dir: string;
  /** Whether the top-level entry `name` belongs to what the backup restores here. */
  readonly holds: (name: string) => boolean;
}

export function dataRoot(dir: string): DeltaRoot {
  return { dir, holds: (n) => !KEPT_TOP.has(n) };
}

export function tablespaceRoot(dir: string, major: string): DeltaRoot {
  return { dir, holds: (n) => n.startsWith(`PG_${major}_`) };
}

export interface Inventory {
  /** Regular files: absolute path -> size. */
  readonly files: Map<string, number>;
  /** Regular files: absolute path -> modification time (ms). */
  readonly modified: Map<string, number>;
  /** Anything else that is not a folder (links, sockets...). */
  readonly others: string[];
  readonly dirs: string[];
}

export async function inventory(roots: readonly DeltaRoot[], wal: string): Promise<Inventory> {
  const inv: Inventory = { files: new Map(), modified: new Map(), others: [], dirs: [] };
  const walk = async (root: DeltaRoot, path: string): Promise<void> => {
    const entries = await fsp.readdir(path, { withFileTypes: true }).catch((e) => {
      if (path === root.dir && (e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw localFileError(e, path, 'read');
    });
    for (const e of entries) {
      if (path === root.dir && !root.holds(e.name)) continue;
      const p = join(path, e.name);
      if (e.isDirectory()) {
        inv.dirs.push(p);
        await walk(root, p);
      } else if (e.isFile()) {
        const st = await fsp.lstat(p).catch((err) => {
          throw localFileError(err, p, 'read');
        });
        inv.files.set(p, st.size);
        inv.modified.set(p, st.mtimeMs);
      } else inv.others.push(p);
    }
  };
  for (const r of roots) await walk(r, r.dir);
  // What markDelta kept of pg_wal: files of the backup, compared like the rest.
  await walk({ dir: wal, holds: () => true }, wal);
  return inv;
}

/** Removes what the backup does not hold; folders only below `pruneRoots` (whose folder list is complete). */
export async function removeExtras(
  local: Inventory,
  inBackup: ReadonlySet<string>,
  dirs: ReadonlySet<string>,
  pruneRoots: readonly string[],
): Promise<number> {
  let removed = 0;
  for (const path of [...local.files.keys(), ...local.others]) {
    if (inBackup.has(path) || dirs.has(path)) continue;
    await fsp.rm(path, { force: true }).catch((e) => {
      throw localFileError(e, path, 'remove');
    });
    removed++;
  }
  const prunable = (d: string) => pruneRoots.some((r) => d.startsWith(`${r}/`));
  for (const d of [...local.dirs].sort((a, b) => b.length - a.length)) {
    if (dirs.has(d) || !prunable(d)) continue;
    // Never recursive: a folder still holding anything after the extras went is left as it is.
    await fsp.rmdir(d).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOTEMPTY' && e.code !== 'EEXIST' && e.code !== 'ENOENT')
        throw localFileError(e, d, 'remove');
    });
  }
  return removed;
}

export async function fileCrc(path: string): Promise<string | undefined> {
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    let crc = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      crc = crc32(buf.subarray(0, bytesRead), crc);
    }
    return crcHex(crc);
  } catch (e) {
    throw localFileError(e, path, 'read');
  } finally {
    await fh.close();
  }
}
