// What pgdr needs from global/pg_control: the WAL segment size (and the system identifier). The struct's
// layout changes between majors (CheckPoint and the backup fields grew in 14 and 17), so rather than one
// offset table per major, two invariants of every major since 11 locate the fields: the double floatFormat
// (always 1234567.0) is followed by blcksz, relseg_size, xlog_blcksz and xlog_seg_size (uint32 each), and a
// CRC-32C of everything before it ends the struct. A file where either is not found is not used.
// The file is in the machine's byte order; pgdr runs on little-endian machines only, as its restore does.
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32c } from '../compression/crc32c.js';

export interface ControlFacts {
  readonly systemIdentifier: bigint;
  /** PG_CONTROL_VERSION, e.g. 1300 for 13-16, 1700 for 17. */
  readonly controlVersion: number;
  readonly blockSize: number;
  readonly walBlockSize: number;
  readonly segmentSize: number;
}

const FLOAT_FORMAT = 1234567.0;
/** The struct stays well inside its first 512 bytes (PG_CONTROL_MAX_SAFE_SIZE). */
const SCAN_END = 512;

/** The facts of a pg_control image, or undefined when it is not one (no float marker, no matching CRC). */
export function parsePgControl(buf: Buffer): ControlFacts | undefined {
  const end = Math.min(buf.length, SCAN_END);
  let floatAt = -1;
  for (let off = 16; off + 8 <= end; off += 8) {
    if (buf.readDoubleLE(off) === FLOAT_FORMAT) {
      floatAt = off;
      break;
    }
  }
  if (floatAt < 0 || floatAt + 24 > end) return undefined;
  let crcOk = false;
  for (let off = floatAt + 24; off + 4 <= end && !crcOk; off += 4) {
    crcOk = crc32c(buf, 0, off) === buf.readUInt32LE(off);
  }
  if (!crcOk) return undefined;
  return {
    systemIdentifier: buf.readBigUInt64LE(0),
    controlVersion: buf.readUInt32LE(8),
    blockSize: buf.readUInt32LE(floatAt + 8),
    walBlockSize: buf.readUInt32LE(floatAt + 16),
    segmentSize: buf.readUInt32LE(floatAt + 20),
  };
}

/** The segment size pg_control of dataDir records, or undefined without a readable, valid one. */
export async function controlSegmentSize(dataDir: string): Promise<number | undefined> {
  let fh: Awaited<ReturnType<typeof open>> | undefined;
  try {
    fh = await open(join(dataDir, 'global', 'pg_control'), 'r');
    const buf = Buffer.alloc(SCAN_END);
    const { bytesRead } = await fh.read(buf, 0, SCAN_END, 0);
    return parsePgControl(buf.subarray(0, bytesRead))?.segmentSize;
  } catch {
    return undefined;
  } finally {
    await fh?.close();
  }
}
