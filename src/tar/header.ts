// Decoding of tar header blocks (ustar, GNU long names, PAX 'x'/'g' records): the read side of
// engine/backup/tar-header.ts, covering what Python's tarfile (barman) and GNU tar write. Every field comes from
// the bucket, so every number is checked before use: a value that is not a non-negative safe integer is
// refused, never turned into NaN (a NaN size once made the reader loop for ever).
import { PgdrError } from '../errors.js';

export const BLOCK = 512;

export interface RawHeader {
  readonly name: string;
  readonly linkname: string;
  /** The type flag character ('0', '5', '2', '1', 'x', 'g', 'L', 'K', ...). */
  readonly type: string;
  readonly size: number;
  readonly mode: number;
  /** Seconds since the epoch (PAX may give a fraction). */
  readonly mtime: number;
}

export function isZeroBlock(b: Buffer): boolean {
  for (let i = 0; i < BLOCK; i++) if (b[i] !== 0) return false;
  return true;
}

export function parseHeader(b: Buffer): RawHeader {
  if (!checksumOk(b)) {
    throw invalid('tar header checksum mismatch: the archive is damaged', 'header checksum');
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
    size: numeric(b, 124, 12, 'size'),
    mode: numeric(b, 100, 8, 'mode'),
    mtime: numeric(b, 136, 12, 'mtime'),
  };
}

/** PAX records "%d key=value\n". A record that does not follow that shape is refused. */
export function parsePax(body: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let pos = 0;
  while (pos < body.length) {
    // A run of NULs after the last record is padding some writers leave.
    if (body[pos] === 0) break;
    const space = body.indexOf(0x20, pos);
    const digits = space < 0 ? '' : body.toString('latin1', pos, space);
    const len = /^[1-9]\d{0,8}$/.test(digits) ? Number(digits) : Number.NaN;
    if (!Number.isSafeInteger(len) || pos + len > body.length || body[pos + len - 1] !== 0x0a) {
      throw invalid('malformed PAX extended header record', 'PAX record');
    }
    const record = body.toString('utf8', space + 1, pos + len - 1);
    const eq = record.indexOf('=');
    if (eq <= 0) throw invalid('malformed PAX extended header record (no key=value)', 'PAX record');
    out.set(record.slice(0, eq), record.slice(eq + 1));
    pos += len;
  }
  return out;
}

/** A PAX size: decimal digits only, a safe integer. */
export function paxSize(value: string): number {
  if (!/^\d{1,16}$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw invalid(`PAX size '${value.slice(0, 40)}' is not a non-negative integer`, 'PAX size');
  }
  return Number(value);
}

/** A PAX mtime: decimal seconds, an optional fraction ('1700000000.5'). */
export function paxTime(value: string): number {
  if (!/^\d{1,12}(\.\d{1,9})?$/.test(value)) {
    throw invalid(`PAX mtime '${value.slice(0, 40)}' is not a time in seconds`, 'PAX mtime');
  }
  return Number(value);
}

export function padded(size: number): number {
  const r = size % BLOCK;
  return r === 0 ? size : size + BLOCK - r;
}

function cstr(b: Buffer, off: number, len: number): string {
  const end = b.indexOf(0, off);
  return b.toString('utf8', off, end < 0 || end > off + len ? off + len : end);
}

function numeric(b: Buffer, off: number, len: number, field: string): number {
  const first = b[off] ?? 0;
  if (first & 0x80) {
    // GNU base-256 for values that do not fit octal (sizes >= 8 GiB); 0xff starts a negative number.
    if (first === 0xff) throw invalid(`tar header ${field} is negative`, field);
    let v = first & 0x7f;
    for (let i = off + 1; i < off + len; i++) v = v * 256 + (b[i] ?? 0);
    if (!Number.isSafeInteger(v)) throw invalid(`tar header ${field} is too large`, field);
    return v;
  }
  // Octal digits, optionally surrounded by spaces and ended by NUL or space.
  const text = b
    .toString('latin1', off, off + len)
    .replace(/\u0000[\s\S]*$/, '')
    .trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw invalid(`tar header ${field} '${text}' is not an octal number`, field);
  return Number.parseInt(text, 8);
}

function checksumOk(b: Buffer): boolean {
  let stored: number;
  try {
    stored = numeric(b, 148, 8, 'checksum');
  } catch {
    return false;
  }
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const v = i >= 148 && i < 156 ? 0x20 : (b[i] ?? 0);
    unsigned += v;
    signed += v > 127 ? v - 256 : v;
  }
  return stored === unsigned || stored === signed;
}

function invalid(message: string, field: string): PgdrError {
  return new PgdrError('CATALOG_INVALID', message, {
    hint: 'the backup tar is damaged or was not written by barman or pgdr; pick another backup with --backup-id',
    details: { field },
  });
}
