// The markers parallel archiving leaves for files it uploaded ahead (see wal-archive-parallel.ts). Kept apart,
// with nothing but node:fs behind it, because `pgdr wal archive` answers a marked file before it loads its
// configuration, the store client or the codecs: most calls under maxParallel N are such hits, and PostgreSQL
// waits for each one. bin/pgdr answers them in sh: keep the format in step with it.
//
// A marker is three parts, one per line then the rest: the file's identity (file-identity.ts) when it was
// read for upload, the object key, and the fingerprint of the call that uploaded it (cli/call-fingerprint.ts).
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileIdentity } from './file-identity.js';

/** Inside archive_status, where PostgreSQL only ever looks at `*.ready` and `*.done`. */
export const MARKER_DIR = '.pgdr-archived';

export interface Marker {
  /** fileIdentity() of the WAL file as uploaded. */
  readonly identity: string;
  readonly key: string;
  /** The uploading call's fingerprint: the marker serves only a call with the same one. */
  readonly fingerprint: string;
}

/** archive_status/.pgdr-archived beside the WAL file at path. */
export function markerDir(walPath: string): string {
  return join(dirname(walPath), 'archive_status', MARKER_DIR);
}

export function formatMarker(m: Marker): string {
  return `${m.identity}\n${m.key}\n${m.fingerprint}`;
}

export function parseMarker(text: string): Marker | undefined {
  const a = text.indexOf('\n');
  const b = a < 0 ? -1 : text.indexOf('\n', a + 1);
  if (b < 0) return undefined;
  const key = text.slice(a + 1, b);
  return key === '' ? undefined : { identity: text.slice(0, a), key, fingerprint: text.slice(b + 1) };
}

/**
 * The stored key when an earlier call with the same fingerprint uploaded this very file ahead (same inode, size
 * and mtime), else undefined. The marker is used up either way: a segment recycled or rewritten since (e.g.
 * after pg_rewind), or a call with other settings (another serverName), goes through the full checks.
 */
export async function consumeMarker(walPath: string, fingerprint: string): Promise<string | undefined> {
  const file = join(markerDir(walPath), basename(walPath));
  const marker = parseMarker(await readFile(file, 'utf8').catch(() => ''));
  if (!marker) return undefined;
  await unlink(file).catch(() => {});
  const now = await fileIdentity(walPath).catch(() => undefined);
  return marker.identity === now && marker.fingerprint === fingerprint ? marker.key : undefined;
}

/** Written only after the object is stored: a marker never claims a file that is not. */
export async function writeMarker(walPath: string, marker: Marker): Promise<void> {
  const dir = markerDir(walPath);
  const name = basename(walPath);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${name}.tmp`);
  await writeFile(tmp, formatMarker(marker));
  await rename(tmp, join(dir, name));
}
