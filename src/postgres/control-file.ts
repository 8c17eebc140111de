// global/pg_control, read by its format version (PG_CONTROL_VERSION at byte 8 in every major). The layout of
// ControlFileData (src/include/catalog/pg_control.h) on the 64-bit little-endian machines pgdr runs on:
//   1300 (PostgreSQL 13-16) and 1700 (17: wal_level added to CheckPoint, in padding, so its size stays 88):
//     floatFormat at byte 208, the CRC-32C of every byte before it at 288;
//   1800 (18: default_char_signedness after data_checksum_version): floatFormat at 208, the CRC at 292.
// After floatFormat (always 1234567.0) come blcksz, relseg_size, xlog_blcksz, xlog_seg_size, nameDataLen,
// indexMaxKeys, toast_max_chunk_size, loblksize (uint32 each), float8ByVal (bool, padded) and
// data_checksum_version. Checked against files written by initdb of PostgreSQL 15 and 17, and 1800 against its
// header (test/integration/pg-control.test.ts).
// A file whose CRC-32C or floatFormat does not hold is damaged. A format not in the table is unknown and never
// guessed at (a new format may move any field); each caller decides what an unknown format costs it:
// a restore of a major not in the table checks only the file's size (of one in it, the format must be the one
// that major writes), `wal restore` bounds a segment by the largest size PostgreSQL allows (a power of two up to
// 1 GiB), and `backup verify` says the pages were not checked (a partial verification).
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { crcHex } from '../compression/crc-hex.js';
import { crc32c } from '../compression/crc32c.js';

/** The size of the file on disk (PG_CONTROL_FILE_SIZE); the struct is at its start. */
export const PG_CONTROL_SIZE = 8192;

interface ControlFile {
  readonly systemIdentifier: string;
  /** PG_CONTROL_VERSION: 1300, 1700 or 1800. */
  readonly controlVersion: number;
  readonly catalogVersion: number;
  readonly blockSize: number;
  /** Blocks per relation segment file (RELSEG_SIZE). */
  readonly segmentBlocks: number;
  readonly walSegmentSize: number;
  /** 0 when data checksums are off. */
  readonly dataChecksumVersion: number;
}

export type ControlFileRead =
  | { readonly ok: true; readonly control: ControlFile }
  | {
      readonly ok: false;
      readonly kind: 'damaged' | 'unknown';
      /** The format at byte 8; undefined when the file is too short to hold one. */
      readonly controlVersion: number | undefined;
      readonly problem: string;
    };

const FLOAT_FORMAT = 1234567.0;
/** The struct stays inside its first 512 bytes (PG_CONTROL_MAX_SAFE_SIZE) in every major. */
const STRUCT_MAX = 512;
const LAYOUTS: ReadonlyMap<number, { readonly floatAt: number; readonly crcAt: number }> = new Map([
  [1300, { floatAt: 208, crcAt: 288 }],
  [1700, { floatAt: 208, crcAt: 288 }],
  [1800, { floatAt: 208, crcAt: 292 }],
]);
const VERSION_OF_MAJOR: ReadonlyMap<number, number> = new Map([
  [13, 1300],
  [14, 1300],
  [15, 1300],
  [16, 1300],
  [17, 1700],
  [18, 1800],
]);

/** The pg_control format PostgreSQL `major` writes (15; 906 for 9.6), or undefined when pgdr has no layout. */
export function controlVersionOfMajor(major: number): number | undefined {
  return VERSION_OF_MAJOR.get(major);
}

export function readControlFile(buf: Buffer): ControlFileRead {
  if (buf.length < 16) return damaged(undefined, `it holds ${buf.length} bytes, not a pg_control file`);
  const controlVersion = buf.readUInt32LE(8);
  const layout = LAYOUTS.get(controlVersion);
  if (layout === undefined) {
    return {
      ok: false,
      kind: 'unknown',
      controlVersion,
      problem: `pg_control format ${controlVersion} is not one pgdr knows (PostgreSQL 13 to 18)`,
    };
  }
  const { floatAt, crcAt } = layout;
  if (buf.length < crcAt + 4) {
    return damaged(controlVersion, `it holds ${buf.length} bytes, fewer than format ${controlVersion} needs`);
  }
  const stored = buf.readUInt32LE(crcAt);
  const computed = crc32c(buf, 0, crcAt);
  if (stored !== computed) {
    return damaged(
      controlVersion,
      `its CRC-32C does not match its contents (stored ${crcHex(stored)}, computed ${crcHex(computed)})`,
    );
  }
  if (buf.readDoubleLE(floatAt) !== FLOAT_FORMAT) {
    return damaged(controlVersion, 'its floatFormat check value is wrong');
  }
  return {
    ok: true,
    control: {
      systemIdentifier: buf.readBigUInt64LE(0).toString(),
      controlVersion,
      catalogVersion: buf.readUInt32LE(12),
      blockSize: buf.readUInt32LE(floatAt + 8),
      segmentBlocks: buf.readUInt32LE(floatAt + 12),
      walSegmentSize: buf.readUInt32LE(floatAt + 20),
      dataChecksumVersion: buf.readUInt32LE(floatAt + 44),
    },
  };
}

/** The WAL segment size the pg_control of dataDir records; undefined without a readable, sound, known one. */
export async function controlSegmentSize(dataDir: string): Promise<number | undefined> {
  let fh: Awaited<ReturnType<typeof open>> | undefined;
  try {
    fh = await open(join(dataDir, 'global', 'pg_control'), 'r');
    const buf = Buffer.alloc(STRUCT_MAX);
    const { bytesRead } = await fh.read(buf, 0, STRUCT_MAX, 0);
    const read = readControlFile(buf.subarray(0, bytesRead));
    return read.ok ? read.control.walSegmentSize : undefined;
  } catch {
    return undefined;
  } finally {
    await fh?.close();
  }
}

function damaged(controlVersion: number | undefined, problem: string): ControlFileRead {
  return { ok: false, kind: 'damaged', controlVersion, problem };
}
