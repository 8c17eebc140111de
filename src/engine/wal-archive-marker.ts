// The markers parallel archiving leaves for files it uploaded ahead (see wal-archive-parallel.ts). Kept apart,
// with nothing but node:fs behind it, because `pgdr wal archive` answers a marked file before it loads its
// configuration, the store client or the codecs: most calls under maxParallel N are such hits, and PostgreSQL
// waits for each one.
import { mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Inside archive_status, where PostgreSQL only ever looks at `*.ready` and `*.done`. */
export const MARKER_DIR = '.pgdr-archived';

export interface Marker {
  readonly size: number;
  readonly mtimeMs: number;
  readonly ino: number;
  readonly key: string;
}

export type FileIdentity = Omit<Marker, 'key'>;

export async function identity(path: string): Promise<FileIdentity> {
  const s = await stat(path);
  return { size: s.size, mtimeMs: s.mtimeMs, ino: s.ino };
}

/** archive_status/.pgdr-archived beside the WAL file at path. */
export function markerDir(walPath: string): string {
  return join(dirname(walPath), 'archive_status', MARKER_DIR);
}

/** True only for a marker of this very file (same inode, size and mtime): then it is stored already. */
export function sameFile(marker: Partial<Marker> | undefined, now: FileIdentity | undefined): boolean {
  return (
    marker !== undefined &&
    now !== undefined &&
    typeof marker.key === 'string' &&
    marker.size === now.size &&
    marker.mtimeMs === now.mtimeMs &&
    marker.ino === now.ino
  );
}

/**
 * The stored key when an earlier call uploaded this file ahead, else undefined. The marker is used up either
 * way: a segment recycled or rewritten since (e.g. after pg_rewind) is archived again, through the full checks.
 */
export async function consumeMarker(walPath: string): Promise<string | undefined> {
  const file = join(markerDir(walPath), basename(walPath));
  let marker: Partial<Marker>;
  try {
    marker = JSON.parse(await readFile(file, 'utf8')) as Partial<Marker>;
  } catch {
    return undefined;
  }
  await unlink(file).catch(() => {});
  const now = await identity(walPath).catch(() => undefined);
  return sameFile(marker, now) ? marker.key : undefined;
}

/** Written only after the object is stored: a marker never claims a file that is not. */
export async function writeMarker(walPath: string, marker: Marker): Promise<void> {
  const dir = markerDir(walPath);
  const name = basename(walPath);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${name}.tmp`);
  await writeFile(tmp, JSON.stringify(marker));
  await rename(tmp, join(dir, name));
}
