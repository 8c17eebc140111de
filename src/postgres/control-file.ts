// The fields of global/pg_control that reading a backup's data pages needs: the block size, the relation
// segment size and whether data checksums are on. ControlFileData's layout is fixed per PG_CONTROL_VERSION:
// 1300 (PostgreSQL 13-16) and 1700 (17) put floatFormat at byte 208 and the CRC at 288; 1800 (18) adds
// default_char_signedness after data_checksum_version, which moves the CRC to 292. After floatFormat come
// blcksz, relseg_size, xlog_blcksz, xlog_seg_size, nameDataLen, indexMaxKeys, toast_max_chunk_size,
// loblksize (uint32 each), float8ByVal (bool, padded) and data_checksum_version. A file whose CRC-32C or
// floatFormat does not hold is damaged; a version not in the table is unknown, never guessed at.
// Little-endian, as every machine pgdr runs on.
import { crc32c } from '../compression/crc32c.js';

export interface ControlFile {
  readonly systemIdentifier: string;
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
  | { readonly ok: false; readonly kind: 'damaged' | 'unknown'; readonly problem: string };

const FLOAT_FORMAT = 1234567.0;
const LAYOUTS: Readonly<Record<number, { readonly floatAt: number; readonly crcAt: number }>> = {
  1300: { floatAt: 208, crcAt: 288 },
  1700: { floatAt: 208, crcAt: 288 },
  1800: { floatAt: 208, crcAt: 292 },
};

export function readControlFile(buf: Buffer): ControlFileRead {
  if (buf.length < 16) return damaged(`it holds ${buf.length} bytes, not a control file`);
  const controlVersion = buf.readUInt32LE(8);
  const layout = LAYOUTS[controlVersion];
  if (layout === undefined) {
    return {
      ok: false,
      kind: 'unknown',
      problem: `pg_control format ${controlVersion} is not one pgdr knows (PostgreSQL 13 to 18)`,
    };
  }
  const { floatAt, crcAt } = layout;
  if (buf.length < crcAt + 4) return damaged(`it holds ${buf.length} bytes, fewer than its format needs`);
  if (crc32c(buf, 0, crcAt) !== buf.readUInt32LE(crcAt))
    return damaged('its CRC does not match its contents');
  if (buf.readDoubleLE(floatAt) !== FLOAT_FORMAT) return damaged('its floatFormat check value is wrong');
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

function damaged(problem: string): ControlFileRead {
  return { ok: false, kind: 'damaged', problem };
}
