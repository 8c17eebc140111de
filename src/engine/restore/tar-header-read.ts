// Decoding of tar header blocks (ustar, GNU long names, PAX 'x'/'g' records): the read side of
// engine/backup/tar-header.ts, covering what Python's tarfile (barman) and GNU tar write.
import { PgdrError } from '../../errors.js';

export const BLOCK = 512;

export interface RawHeader {
  readonly name: string;
  readonly linkname: string;
  /** The type flag character ('0', '5', '2', '1', 'x', 'g', 'L', 'K', ...). */
  readonly type: string;
  readonly size: number;
  readonly mode: number;
  readonly mtime: number;
}

export function isZeroBlock(b: Buffer): boolean {
  for (let i = 0; i < BLOCK; i++) if (b[i] !== 0) return false;
  return true;
}

export function parseHeader(b: Buffer): RawHeader {
  if (!checksumOk(b)) {
    throw new PgdrError('CATALOG_INVALID', 'tar header checksum mismatch: the archive is damaged', {
      hint: 'the backup tar is corrupt or was not decompressed correctly',
    });
  }
  const magic = b.toString('latin1', 257, 263);
  let name = cstr(b, 0, 100);
  // ustar splits long names into prefix (345..500) + name; GNU tar uses that area for other things.
  if (magic === 'ustar\u0000' || magic === 'ustar ') {
    const prefix = magic === 'ustar\u0000' ? cstr(b, 345, 155) : '';
    if (prefix !== '') name = `${prefix}/${name}`;
  }
  const typeByte = b[156] ?? 0;
  return {
    name,
    linkname: cstr(b, 157, 100),
    type: typeByte === 0 ? '0' : String.fromCharCode(typeByte),
    size: numeric(b, 124, 12),
    mode: numeric(b, 100, 8),
    mtime: numeric(b, 136, 12),
  };
}

/** PAX records "%d key=value\n"; only the keys we honour are returned. */
export function parsePax(body: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let pos = 0;
  while (pos < body.length) {
    const space = body.indexOf(0x20, pos);
    if (space < 0) break;
    const len = Number(body.toString('latin1', pos, space));
    if (!Number.isInteger(len) || len <= 0 || pos + len > body.length) {
      throw new PgdrError('CATALOG_INVALID', 'malformed PAX header in the backup tar');
    }
    const record = body.toString('utf8', space + 1, pos + len - 1);
    const eq = record.indexOf('=');
    if (eq > 0) out.set(record.slice(0, eq), record.slice(eq + 1));
    pos += len;
  }
  return out;
}

export function padded(size: number): number {
  const r = size % BLOCK;
  return r === 0 ? size : size + BLOCK - r;
}

function cstr(b: Buffer, off: number, len: number): string {
  const end = b.indexOf(0, off);
  return b.toString('utf8', off, end < 0 || end > off + len ? off + len : end);
}

function numeric(b: Buffer, off: number, len: number): number {
  // GNU base-256 for values that do not fit octal (sizes >= 8 GiB).
  if ((b[off] ?? 0) & 0x80) {
    let v = 0;
    for (let i = off + 1; i < off + len; i++) v = v * 256 + (b[i] ?? 0);
    return v;
  }
  const text = b
    .toString('latin1', off, off + len)
    .replace(/\u0000.*$/s, '')
    .trim();
  return text === '' ? 0 : Number.parseInt(text, 8);
}

function checksumOk(b: Buffer): boolean {
  const stored = numeric(b, 148, 8);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const v = i >= 148 && i < 156 ? 0x20 : (b[i] ?? 0);
    unsigned += v;
    signed += v > 127 ? v - 256 : v;
  }
  return stored === unsigned || stored === signed;
}
