// pgdr's own record of a backup, base/<id>/pgdr.json (written by engine/backup/manifest.ts): per tar, the size
// it was stored with, every file as [name, size, crc32(, 'truncated')] and their mtimes. Restore and backup verify both read
// it here. It comes from the bucket, so it is read bounded (the listed size first, then the bytes as they
// come) and its shape is checked field by field; anything off is CATALOG_INVALID naming the object. A
// manifest too large to read or of a newer format is not an error: it is skipped, with the reason, and the
// caller says the files were not checked against it. barman-written backups have none.
import { PgdrError } from '../errors.js';
import type { ObjectInfo, ObjectStore } from '../storage/object-store.js';
import { printable } from '../tar/reader.js';

export const MANIFEST_NAME = 'pgdr.json';
/** About two million files (a file costs ~60 bytes); a larger manifest is skipped, and the caller says so. */
export const MAX_MANIFEST_BYTES = 128 << 20;

export interface ManifestFile {
  readonly size: number;
  /** CRC-32 (zlib) as 8 lowercase hex digits. */
  readonly crc32: string;
  /** The file shrank while it was copied: its bytes were zero-padded to the size in its header. */
  readonly truncated: boolean;
  /** Modification time in its tar header (seconds); undefined in manifests that did not record it. */
  readonly mtime?: number | undefined;
}

export interface ManifestTar {
  /** The object's name within the backup folder, e.g. `data.tar.gz` or `16385_0001.tar.gz`. */
  readonly name: string;
  /** The object's size as uploaded. */
  readonly storedBytes: number;
  /** Keyed by the member's name without its leading './' (as the restore extractor reports it). */
  readonly files: ReadonlyMap<string, ManifestFile>;
  /** Sum of the file sizes: exactly what extracting the tar writes. */
  readonly bytes: number;
}

export type ManifestState =
  | { readonly kind: 'present'; readonly key: string; readonly tars: ReadonlyMap<string, ManifestTar> }
  | { readonly kind: 'absent' }
  | { readonly kind: 'skipped'; readonly key: string; readonly reason: string };

/** The manifest of the backup under `prefix` (`<server>/base/<id>/`), found in `listed` (that prefix's listing). */
export async function readBackupManifest(o: {
  store: ObjectStore;
  prefix: string;
  listed: readonly ObjectInfo[];
  backupId: string;
  signal?: AbortSignal | undefined;
}): Promise<ManifestState> {
  const key = `${o.prefix}${MANIFEST_NAME}`;
  const obj = o.listed.find((x) => x.key === key);
  if (obj === undefined) return { kind: 'absent' };
  if (obj.size > MAX_MANIFEST_BYTES) {
    return { kind: 'skipped', key, reason: `${obj.size} bytes, above the ${MAX_MANIFEST_BYTES} read` };
  }
  const parts: Buffer[] = [];
  let n = 0;
  const stream = await o.store.get(key, { signal: o.signal });
  for await (const chunk of stream) {
    n += (chunk as Buffer).length;
    if (n > MAX_MANIFEST_BYTES) {
      stream.destroy();
      throw invalid(key, `it is larger than its listed size (over ${MAX_MANIFEST_BYTES} bytes)`);
    }
    parts.push(chunk as Buffer);
  }
  return parseBackupManifest(Buffer.concat(parts), key, o.backupId);
}

export function parseBackupManifest(body: Buffer, key: string, backupId: string): ManifestState {
  if (body.length > MAX_MANIFEST_BYTES) throw invalid(key, `it is more than ${MAX_MANIFEST_BYTES} bytes`);
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw invalid(key, `it is not JSON (${(e as Error).message})`);
  }
  const root = record(doc, key, 'the document');
  if (root.format !== 'pgdr-backup-manifest') throw invalid(key, 'it is not a pgdr backup manifest');
  if (typeof root.version === 'number' && root.version > 1) {
    return { kind: 'skipped', key, reason: `format version ${root.version}, written by a newer pgdr` };
  }
  if (root.version !== 1) throw invalid(key, `unknown format version ${shown(root.version)}`);
  if (root.backupId !== backupId) {
    throw invalid(key, `it names backup ${shown(root.backupId)}, not ${backupId}`);
  }
  if (!Array.isArray(root.tars)) throw invalid(key, "'tars' is not a list");
  const tars = new Map<string, ManifestTar>();
  for (const [i, t] of root.tars.entries()) {
    const tar = parseTar(record(t, key, `tars[${i}]`), key, i);
    if (tars.has(tar.name)) throw invalid(key, `tar ${tar.name} is listed twice`);
    tars.set(tar.name, tar);
  }
  return { kind: 'present', key, tars };
}

function parseTar(t: Record<string, unknown>, key: string, i: number): ManifestTar {
  const name = t.key;
  if (typeof name !== 'string' || !/^[A-Za-z0-9_.-]{1,200}$/.test(name) || name.startsWith('.')) {
    throw invalid(key, `tars[${i}].key is not an object name`);
  }
  const storedBytes = t.storedBytes;
  if (!isSize(storedBytes)) throw invalid(key, `tar ${name}: storedBytes is not a non-negative integer`);
  if (!Array.isArray(t.files)) throw invalid(key, `tar ${name}: 'files' is not a list`);
  const mtimes = t.mtimes;
  if (
    mtimes !== undefined &&
    (!Array.isArray(mtimes) || mtimes.length !== t.files.length || !mtimes.every(isSize))
  )
    throw invalid(key, `tar ${name}: 'mtimes' is not a list of one time in seconds per file`);
  const files = new Map<string, ManifestFile>();
  let bytes = 0;
  for (const [j, f] of t.files.entries()) {
    const where = `tar ${name}: files[${j}]`;
    if (!Array.isArray(f) || f.length < 3 || f.length > 4) {
      throw invalid(key, `${where} is not [name, size, crc32(, 'truncated')]`);
    }
    const [file, size, crc, flag] = f as unknown[];
    const rel = typeof file === 'string' ? memberKey(file) : undefined;
    if (rel === undefined) throw invalid(key, `${where} has no relative file name without '..'`);
    if (!isSize(size)) throw invalid(key, `${where} has a size that is not a non-negative integer`);
    if (typeof crc !== 'string' || !/^[0-9a-f]{8}$/.test(crc)) {
      throw invalid(key, `${where} has a CRC-32 that is not 8 hex digits`);
    }
    if (flag !== undefined && flag !== 'truncated') throw invalid(key, `${where} has an unknown flag`);
    if (files.has(rel))
      throw invalid(key, `${where}: file '${printable(rel.slice(0, 200))}' is listed twice`);
    files.set(rel, {
      size,
      crc32: crc,
      truncated: flag === 'truncated',
      ...(mtimes ? { mtime: mtimes[j] as number } : {}),
    });
    bytes += size;
  }
  return { name, storedBytes, files, bytes };
}

/**
 * A file name as the backup writes it (`./PG_VERSION`, `base/1/1259`) without its leading './'; undefined for
 * anything else: absolute, empty, '.' or '..' parts, NUL, a part longer than a file system allows.
 */
function memberKey(name: string): string | undefined {
  const rel = name.startsWith('./') ? name.slice(2) : name;
  if (rel === '' || rel.length > 4096 || rel.includes('\u0000')) return undefined;
  const parts = rel.split('/');
  const bad = (p: string) => p === '' || p === '.' || p === '..' || Buffer.byteLength(p) > 255;
  return parts.some(bad) ? undefined : rel;
}

function isSize(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function shown(v: unknown): string {
  return printable(String(v).slice(0, 40));
}

function record(v: unknown, key: string, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalid(key, `${what} is not an object`);
  return v as Record<string, unknown>;
}

function invalid(key: string, why: string): PgdrError {
  return new PgdrError('CATALOG_INVALID', `${key}: ${why}`, {
    hint: 'the pgdr manifest of this backup is damaged: restore another backup with --backup-id, or remove the manifest to restore this one without its checks',
    details: { key },
  });
}
