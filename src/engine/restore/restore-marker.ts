// The marker a restore writes into its data folder and each tablespace folder before anything else, and
// removes only once the restored tree is complete and synced. A folder holding it is an unfinished restore of
// pgdr's own (interrupted by a reset, Ctrl-C or a crash), which a rerun may wipe and restore again; a folder
// without it is somebody's data and is never touched.
//
// The rule that makes the wipe safe: PostgreSQL is started only after every marker is gone (restore.ts). A
// folder with a marker therefore never held a running server, and a crash after the start leaves a folder
// without a marker, which a rerun refuses (DIR_NOT_EMPTY) instead of wiping what may be a live data directory.
// A marked folder that holds postmaster.pid (somebody started a server by hand on a half-restored folder) is
// refused too.
//
// Any pgdr restore marker allows the restart, whatever server or backup it names: the operator whose restore
// failed on a damaged backup reruns with another --backup-id, and the half-written folder is worth nothing.
//
// The name starts with pgsql_tmp: PostgreSQL ignores such files, and pg_basebackup, barman and pgdr's own
// backup path filter (src/engine/backup/path-filter.ts) skip them, so even a marker left behind by hand never
// travels into a backup.
import { constants, promises as fsp } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { mkdirDurable, syncDir, writeFileAtomic } from '../../common/atomic-file.js';
import { localFileError } from '../../errors.js';

export const MARKER_NAME = 'pgsql_tmp.pgdr-restore-unfinished';
const MAX_MARKER_BYTES = 64 * 1024;

export interface MarkerInfo {
  readonly serverName: string | null;
  readonly backupId: string | null;
  readonly dataDir: string | null;
  readonly startedAt: string | null;
  readonly host: string | null;
  readonly pid: number | null;
}

export function markerBody(m: { serverName: string; backupId: string; dataDir: string }): string {
  const body = {
    format: 'pgdr-restore-marker',
    version: 1,
    note: 'pgdr restore has not finished here: rerun pgdr restore to restart it; nothing here is a usable data directory',
    serverName: m.serverName,
    backupId: m.backupId,
    dataDir: m.dataDir,
    startedAt: new Date().toISOString(),
    host: hostname(),
    pid: process.pid,
  };
  return `${JSON.stringify(body, null, 2)}\n`;
}

/** The marker's content, or undefined when the folder has none. A torn or foreign body still counts. */
export async function readMarker(dir: string): Promise<MarkerInfo | undefined> {
  const path = join(dir, MARKER_NAME);
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if ((e as NodeJS.ErrnoException).code === 'ELOOP') return undefined;
    throw localFileError(e, path, 'read');
  }
  try {
    if (!(await fh.stat()).isFile()) return undefined;
    const buf = Buffer.alloc(MAX_MARKER_BYTES);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return parseMarker(buf.subarray(0, bytesRead).toString('utf8'));
  } finally {
    await fh.close();
  }
}

function parseMarker(text: string): MarkerInfo {
  let v: Record<string, unknown> = {};
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed === 'object' && parsed !== null) v = parsed as Record<string, unknown>;
  } catch {
    // A crash while the marker was first written: its name alone says pgdr owns the folder.
  }
  const str = (k: string) => (typeof v[k] === 'string' ? (v[k] as string).slice(0, 500) : null);
  return {
    serverName: str('serverName'),
    backupId: str('backupId'),
    dataDir: str('dataDir'),
    startedAt: str('startedAt'),
    host: str('host'),
    pid: Number.isSafeInteger(v['pid']) ? (v['pid'] as number) : null,
  };
}

export function describeMarker(m: MarkerInfo): string {
  const what = [
    m.serverName ? `server ${m.serverName}` : undefined,
    m.backupId ? `backup ${m.backupId}` : undefined,
    m.startedAt ? `started ${m.startedAt}` : undefined,
  ].filter((s) => s !== undefined);
  return what.length ? what.join(', ') : 'details unreadable';
}

/**
 * Writes the marker into dir (made if missing, mode 0700), durably: the folder's entry in its parent too.
 * `replace`: the folder already holds one (a restart), swapped atomically for the new restore's.
 */
export async function writeMarker(dir: string, body: string, replace: boolean): Promise<void> {
  const path = join(dir, MARKER_NAME);
  try {
    await mkdirDurable(dir, 0o700);
    if (replace) {
      await writeFileAtomic(path, Readable.from([Buffer.from(body)]));
      return;
    }
    // Created in place (no temporary name): from the first instant the folder holds nothing but the marker.
    const fh = await fsp.open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    try {
      await fh.writeFile(body);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await syncDir(dir);
  } catch (e) {
    throw localFileError(e, path, 'write');
  }
}

/** Removes everything in dir except the marker, which stays until the new restore completes. */
export async function wipeUnfinished(dir: string): Promise<number> {
  const names = (await fsp.readdir(dir)).filter((n) => n !== MARKER_NAME);
  for (const n of names) await forceRemove(join(dir, n));
  await syncDir(dir);
  return names.length;
}

/** rm -rf that never follows a symbolic link (a pg_tblspc link goes, its target stays) and gets past folders
 * the tar made read-only. */
async function forceRemove(path: string): Promise<void> {
  try {
    await fsp.rm(path, { recursive: true, force: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'EPERM') throw localFileError(e, path, 'remove');
    await openUp(path);
    await fsp.rm(path, { recursive: true, force: true }).catch((e2) => {
      throw localFileError(e2, path, 'remove');
    });
  }
}

async function openUp(path: string): Promise<void> {
  const st = await fsp.lstat(path);
  if (!st.isDirectory()) return;
  await fsp.chmod(path, (st.mode & 0o7777) | 0o700);
  for (const n of await fsp.readdir(path)) await openUp(join(path, n));
}

export async function removeMarker(dir: string): Promise<void> {
  const path = join(dir, MARKER_NAME);
  try {
    await fsp.rm(path, { force: true });
    await syncDir(dir);
  } catch (e) {
    throw localFileError(e, path, 'remove');
  }
}
