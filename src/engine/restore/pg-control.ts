// global/pg_control of a restored tree: 8192 bytes, and for the majors whose layout is known its CRC-32C.
// ControlFileData (src/include/catalog/pg_control.h) ends with `pg_crc32c crc`, computed over every byte before
// it; pg_control_version sits at byte 8 in every major. On the 64-bit platforms PostgreSQL ships for, the crc
// field is at byte 288 for format 1300 (PostgreSQL 13-16) and 1700 (17: wal_level moved into CheckPoint, which
// kept its size), and at 292 for 1800 (18: default_char_signedness after data_checksum_version). Checked against
// pg_control files written by initdb of PostgreSQL 15 and 17 (test/integration/restore-pg-control.test.ts).
import { crc32c } from '../../compression/crc32c.js';

export const PG_CONTROL_SIZE = 8192;

const FORMATS: ReadonlyMap<number, { readonly version: number; readonly crcAt: number }> = new Map([
  [13, { version: 1300, crcAt: 288 }],
  [14, { version: 1300, crcAt: 288 }],
  [15, { version: 1300, crcAt: 288 }],
  [16, { version: 1300, crcAt: 288 }],
  [17, { version: 1700, crcAt: 288 }],
  [18, { version: 1800, crcAt: 292 }],
]);

export type PgControlCheck = 'crc' | 'size';

/** What was checked, or throws an Error saying what is wrong. `major`: 15, or 906 for 9.6 as plans hold it. */
export function checkPgControl(buf: Buffer, major: number): PgControlCheck {
  if (buf.length !== PG_CONTROL_SIZE) {
    throw new Error(`it has ${buf.length} bytes, not ${PG_CONTROL_SIZE}`);
  }
  const f = FORMATS.get(major);
  if (f === undefined) return 'size';
  const version = buf.readUInt32LE(8);
  if (version !== f.version) {
    throw new Error(`its format is ${version}, while PostgreSQL ${major} writes ${f.version}`);
  }
  const stored = buf.readUInt32LE(f.crcAt);
  const computed = crc32c(buf, 0, f.crcAt);
  if (stored !== computed) {
    throw new Error(
      `its CRC-32C does not match (stored ${hex(stored)}, computed ${hex(computed)}): PostgreSQL would refuse to start`,
    );
  }
  return 'crc';
}

function hex(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}
