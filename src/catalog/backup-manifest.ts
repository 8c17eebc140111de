// Reads pgdr's own record of a backup, base/<id>/pgdr.json (written by engine/backup/manifest.ts): per tar,
// every file with its size and CRC-32. It comes from the bucket, so its shape is checked field by field and
// its size is capped; anything off is CATALOG_INVALID naming the object. barman-written backups have none.
import { isPgdrError, PgdrError } from '../errors.js';
import type { ObjectStore } from '../storage/object-store.js';

export const MANIFEST_NAME = 'pgdr.json';
/** A manifest line costs ~60 bytes a file: this allows a few million files. */
export const MAX_MANIFEST_BYTES = 256 << 20;

export interface ManifestFile {
  readonly size: number;
  /** CRC-32 (zlib) as 8 lowercase hex digits. */
  readonly crc32: string;
  /** The file shrank while it was copied: its bytes were zero-padded to the size in its header. */
  readonly truncated: boolean;
}

export interface ManifestTar {
  /** The object's name within the backup folder, e.g. `data.tar.gz` or `16385_0001.tar.gz`. */
  readonly name: string;
  /** The object's size as uploaded. */
  readonly storedBytes: number;
  readonly files: ReadonlyMap<string, ManifestFile>;
}

export interface BackupManifest {
  readonly key: string;
  readonly backupId: string;
  readonly tars: ReadonlyMap<string, ManifestTar>;
}

/** The manifest of the backup under `backupPrefix` (`<server>/base/<id>/`), or null when it has none. */
export async function readBackupManifest(
  store: ObjectStore,
  backupPrefix: string,
  backupId: string,
  signal?: AbortSignal,
): Promise<BackupManifest | null> {
  const key = `${backupPrefix}${MANIFEST_NAME}`;
  const head = await store.head(key, { signal });
  if (head === undefined) return null;
  if (head.size > MAX_MANIFEST_BYTES) {
    throw invalid(key, `it is ${head.size} bytes, more than the ${MAX_MANIFEST_BYTES} allowed`);
  }
  let body: Buffer;
  try {
    body = await store.getBuffer(key, { signal });
  } catch (e) {
    if (isPgdrError(e, 'NOT_FOUND')) return null;
    throw e;
  }
  return parseBackupManifest(body, key, backupId);
}

export function parseBackupManifest(body: Buffer, key: string, backupId: string): BackupManifest {
  if (body.length > MAX_MANIFEST_BYTES) throw invalid(key, `it is more than ${MAX_MANIFEST_BYTES} bytes`);
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw invalid(key, `it is not JSON (${(e as Error).message})`);
  }
  const root = record(doc, key, 'the document');
  if (root.format !== 'pgdr-backup-manifest' || root.version !== 1) {
    throw invalid(key, 'it is not a pgdr backup manifest of version 1');
  }
  if (root.backupId !== backupId) {
    throw invalid(key, `it names backup '${String(root.backupId).slice(0, 40)}', not ${backupId}`);
  }
  if (!Array.isArray(root.tars)) throw invalid(key, "'tars' is not a list");
  const tars = new Map<string, ManifestTar>();
  for (const [i, t] of root.tars.entries()) {
    const tar = parseTar(record(t, key, `tars[${i}]`), key, i);
    if (tars.has(tar.name)) throw invalid(key, `tar ${tar.name} is listed twice`);
    tars.set(tar.name, tar);
  }
  return { key, backupId, tars };
}

function parseTar(t: Record<string, unknown>, key: string, i: number): ManifestTar {
  const name = t.key;
  if (typeof name !== 'string' || !/^[A-Za-z0-9_.-]{1,200}$/.test(name) || name.startsWith('.')) {
    throw invalid(key, `tars[${i}].key is not an object name`);
  }
  if (!Array.isArray(t.files)) throw invalid(key, `tars[${i}].files is not a list`);
  const files = new Map<string, ManifestFile>();
  for (const [j, f] of t.files.entries()) {
    const where = `tars[${i}].files[${j}]`;
    if (!Array.isArray(f) || f.length < 3 || f.length > 4) {
      throw invalid(key, `${where} is not [name, size, crc32(, 'truncated')]`);
    }
    const [file, size, crc, flag] = f as unknown[];
    if (typeof file !== 'string' || file === '' || file.length > 4096) {
      throw invalid(key, `${where} has no file name`);
    }
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
      throw invalid(key, `${where} has a size that is not a non-negative integer`);
    }
    if (typeof crc !== 'string' || !/^[0-9a-f]{8}$/.test(crc)) {
      throw invalid(key, `${where} has a CRC-32 that is not 8 hex digits`);
    }
    if (flag !== undefined && flag !== 'truncated') throw invalid(key, `${where} has an unknown flag`);
    if (files.has(file)) throw invalid(key, `${where}: file '${file.slice(0, 200)}' is listed twice`);
    files.set(file, { size, crc32: crc, truncated: flag === 'truncated' });
  }
  const storedBytes = t.storedBytes;
  if (typeof storedBytes !== 'number' || !Number.isSafeInteger(storedBytes) || storedBytes < 0) {
    throw invalid(key, `tars[${i}].storedBytes is not a non-negative integer`);
  }
  return { name, storedBytes, files };
}

function record(v: unknown, key: string, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalid(key, `${what} is not an object`);
  return v as Record<string, unknown>;
}

function invalid(key: string, why: string): PgdrError {
  return new PgdrError('CATALOG_INVALID', `${key}: ${why}`, {
    hint: 'the pgdr manifest of this backup is damaged; its tars can still be checked without it',
    details: { key },
  });
}
