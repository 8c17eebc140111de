// pgdr's manifest of a backup (base/<id>/pgdr.json, written by src/engine/backup/manifest.ts: per tar, every
// file as [name, size, crc32]) read back for a restore: every extracted file must be in it with its size and
// CRC-32, and every file in it must have been extracted. The manifest comes from the bucket too, so it is read
// bounded and its shape checked before anything trusts it.

import { isPgdrError, PgdrError } from '../../errors.js';
import type { ObjectInfo, ObjectStore } from '../../storage/object-store.js';
import { printable } from '../../tar/reader.js';
import { type ExtractedFile, safeRelative } from './tar-extract.js';

export const MANIFEST_NAME = 'pgdr.json';
/** About two million files; a larger manifest is not read (and the restore says so). */
export const MAX_MANIFEST_BYTES = 128 * 1024 * 1024;

export interface ManifestTar {
  /** The object's name within the backup folder, e.g. data.tar.gz. */
  readonly name: string;
  /** File name as the extractor reports it (no './') -> size and CRC-32. */
  readonly files: ReadonlyMap<string, { readonly size: number; readonly crc32: string }>;
  /** Sum of the file sizes: exactly what extracting the tar writes. */
  readonly bytes: number;
}

export type ManifestState =
  | { readonly kind: 'present'; readonly key: string; readonly tars: ReadonlyMap<string, ManifestTar> }
  | { readonly kind: 'absent' }
  | { readonly kind: 'skipped'; readonly key: string; readonly reason: string };

export async function loadManifest(o: {
  store: ObjectStore;
  /** `<server>/base/<id>/` */
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
  const body = await readCapped(o.store, key, MAX_MANIFEST_BYTES, o.signal);
  return parseManifest(body, key, o.backupId);
}

async function readCapped(
  store: ObjectStore,
  key: string,
  max: number,
  signal: AbortSignal | undefined,
): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  const stream = await store.get(key, { signal });
  for await (const chunk of stream) {
    n += (chunk as Buffer).length;
    if (n > max) {
      stream.destroy();
      throw invalid(key, `it is larger than its listed size (over ${max} bytes)`);
    }
    parts.push(chunk as Buffer);
  }
  return Buffer.concat(parts);
}

export function parseManifest(body: Buffer, key: string, backupId: string): ManifestState {
  let v: unknown;
  try {
    v = JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw invalid(key, `it is not JSON (${(e as Error).message})`);
  }
  if (!isObject(v) || v['format'] !== 'pgdr-backup-manifest') throw invalid(key, 'it is not a pgdr manifest');
  if (typeof v['version'] === 'number' && v['version'] > 1) {
    return { kind: 'skipped', key, reason: `format version ${v['version']}, written by a newer pgdr` };
  }
  if (v['version'] !== 1) throw invalid(key, `unknown format version ${printable(String(v['version']))}`);
  if (v['backupId'] !== backupId) {
    throw invalid(key, `it names backup ${printable(String(v['backupId']))}, not ${backupId}`);
  }
  const tars = v['tars'];
  if (!Array.isArray(tars)) throw invalid(key, "'tars' is not a list");
  const out = new Map<string, ManifestTar>();
  for (const [i, t] of tars.entries()) {
    if (!isObject(t) || typeof t['key'] !== 'string' || !/^[^/\u0000]{1,255}$/.test(t['key'])) {
      throw invalid(key, `tars[${i}] has no valid 'key'`);
    }
    const name = t['key'];
    if (out.has(name)) throw invalid(key, `tar ${printable(name)} is listed twice`);
    if (!Array.isArray(t['files'])) throw invalid(key, `tar ${printable(name)}: 'files' is not a list`);
    out.set(name, manifestTar(name, t['files'], key));
  }
  return { kind: 'present', key, tars: out };
}

function manifestTar(name: string, rows: readonly unknown[], key: string): ManifestTar {
  const files = new Map<string, { size: number; crc32: string }>();
  let bytes = 0;
  for (const row of rows) {
    const ok =
      Array.isArray(row) &&
      (row.length === 3 || (row.length === 4 && row[3] === 'truncated')) &&
      typeof row[0] === 'string' &&
      Number.isSafeInteger(row[1]) &&
      row[1] >= 0 &&
      typeof row[2] === 'string' &&
      /^[0-9a-f]{8}$/.test(row[2]);
    if (!ok) throw invalid(key, `tar ${printable(name)}: a file entry is not [name, size, crc32]`);
    let rel: string;
    try {
      rel = safeRelative(row[0]);
    } catch (e) {
      throw invalid(key, `tar ${printable(name)}: ${isPgdrError(e) ? e.message : String(e)}`);
    }
    if (rel === '' || files.has(rel)) {
      throw invalid(key, `tar ${printable(name)}: file '${printable(row[0])}' is empty or listed twice`);
    }
    files.set(rel, { size: row[1], crc32: row[2] });
    bytes += row[1];
  }
  return { name, files, bytes };
}

/** Checks one tar's files as the extractor writes them; `finish` once the tar is fully extracted. */
export class ManifestCheck {
  private readonly seen = new Set<string>();

  constructor(private readonly tar: ManifestTar) {}

  readonly onFile = (f: ExtractedFile): void => {
    const want = this.tar.files.get(f.name);
    const details = { member: f.name };
    if (want === undefined) {
      throw mismatch(
        `file '${printable(f.name)}' is not in the backup's manifest (${MANIFEST_NAME})`,
        details,
      );
    }
    this.seen.add(f.name);
    if (want.size !== f.size) {
      throw mismatch(
        `file '${printable(f.name)}' has ${f.size} bytes; the backup's manifest says ${want.size}`,
        details,
      );
    }
    if (want.crc32 !== f.crc32) {
      throw mismatch(
        `file '${printable(f.name)}' differs from the backup's manifest (CRC-32 ${f.crc32}, expected ${want.crc32})`,
        details,
      );
    }
  };

  get files(): number {
    return this.seen.size;
  }

  finish(): void {
    if (this.seen.size === this.tar.files.size) return;
    const missing = [...this.tar.files.keys()].filter((n) => !this.seen.has(n));
    const shown = missing.slice(0, 5).map((n) => `'${printable(n)}'`);
    throw mismatch(
      `${missing.length} file(s) of the backup's manifest are missing from the tar: ${shown.join(', ')}${missing.length > 5 ? ', ...' : ''}`,
      { missing: missing.slice(0, 100) },
    );
  }
}

function mismatch(message: string, details: Record<string, unknown>): PgdrError {
  return new PgdrError('CATALOG_INVALID', message, {
    hint: 'the backup is damaged: pick another backup with --backup-id',
    details,
  });
}

function invalid(key: string, why: string): PgdrError {
  return new PgdrError('CATALOG_INVALID', `${key}: ${why}`, {
    hint: 'the backup manifest is damaged: pick another backup with --backup-id, or remove the manifest to restore without its checks',
    details: { key },
  });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
