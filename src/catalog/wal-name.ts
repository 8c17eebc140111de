// WAL file names, their place in the bucket, and segment/LSN arithmetic. Name validation follows barman's
// xlog._xlog_re to the letter: anything it rejects, barman-cloud-wal-restore would refuse as well.
import { type Compression, walSuffix } from '../compression/suffixes.js';
import { PgdrError } from '../errors.js';
import { joinKey } from '../storage/object-store.js';

export const DEFAULT_SEGMENT_SIZE = 16 * 1024 * 1024;

export type WalKind = 'segment' | 'partial' | 'backup-label' | 'history';

export interface WalName {
  readonly name: string;
  readonly kind: WalKind;
  readonly timeline: number;
  /** The log id and segment of the name; undefined for history files. */
  readonly log: number | undefined;
  readonly seg: number | undefined;
  /** For `.backup` files: the offset of the backup start inside the segment. */
  readonly backupOffset: number | undefined;
  /** The 24 hex characters naming the segment (upper case); undefined for history files. */
  readonly segmentName: string | undefined;
}

// One deliberate difference: Python's '$' also matches before a final newline, so barman accepts
// 'X\n'. No archiver writes such a key, and accepting it would put a newline into keys we build.
const XLOG_RE =
  /^([0-9A-F]{8})(?:([0-9A-F]{8})([0-9A-F]{8})(?:\.([0-9A-F]{8})\.backup|(\.partial))?|\.history)$/i;

export function parseWalName(name: string): WalName | undefined {
  const m = XLOG_RE.exec(name);
  if (!m) return undefined;
  const timeline = Number.parseInt(m[1]!, 16);
  if (m[2] === undefined) {
    return {
      name,
      kind: 'history',
      timeline,
      log: undefined,
      seg: undefined,
      backupOffset: undefined,
      segmentName: undefined,
    };
  }
  const log = Number.parseInt(m[2], 16);
  const seg = Number.parseInt(m[3]!, 16);
  const kind: WalKind = m[4] !== undefined ? 'backup-label' : m[5] !== undefined ? 'partial' : 'segment';
  return {
    name,
    kind,
    timeline,
    log,
    seg,
    backupOffset: m[4] === undefined ? undefined : Number.parseInt(m[4], 16),
    segmentName: name.slice(0, 24).toUpperCase(),
  };
}

export function isWalName(name: string): boolean {
  return XLOG_RE.test(name);
}

function mustParse(name: string): WalName {
  const parsed = parseWalName(name);
  if (!parsed) {
    throw new PgdrError('CATALOG_INVALID', `'${name}' is not a WAL file name`, {
      hint: 'expected 24 hex digits (optionally .partial or .NNNNNNNN.backup) or NNNNNNNN.history',
    });
  }
  return parsed;
}

/** The folder a WAL file lives in below wals/: TLI+log id in upper case, or '' for history files. */
export function hashDir(name: string): string {
  const w = mustParse(name);
  return w.segmentName === undefined ? '' : w.segmentName.slice(0, 16);
}

/** The object key of a WAL file: `<server>/wals/<hashdir>/<name><suffix>` (history files sit in wals/). */
export function walKey(serverName: string, name: string, compression: Compression = 'none'): string {
  return joinKey(serverName, 'wals', hashDir(name), `${name}${walSuffix(compression)}`);
}

export function historyFileName(timeline: number): string {
  return `${hex8(timeline)}.history`;
}

// ---- segment arithmetic ----

function checkSegmentSize(segSize: number): void {
  // PostgreSQL allows powers of two from 1 MiB to 1 GiB (initdb --wal-segsize).
  const ok =
    Number.isInteger(segSize) && segSize >= 1 << 20 && segSize <= 1 << 30 && (segSize & (segSize - 1)) === 0;
  if (!ok) {
    throw new PgdrError('CATALOG_INVALID', `invalid WAL segment size ${segSize}`, {
      hint: 'xlog_segment_size must be a power of two between 1 MiB and 1 GiB',
    });
  }
}

/** How many segments share one log id (the middle 8 hex digits): 256 for 16 MiB segments. */
export function segmentsPerLogId(segSize: number = DEFAULT_SEGMENT_SIZE): number {
  checkSegmentSize(segSize);
  return 0x100000000 / segSize;
}

function hex8(n: number): string {
  return n.toString(16).toUpperCase().padStart(8, '0');
}

function segmentName(timeline: number, log: number, seg: number): string {
  return `${hex8(timeline)}${hex8(log)}${hex8(seg)}`;
}

const SEGMENT_RE = /^[0-9A-F]{24}$/i;

/** A segment as one counter (PostgreSQL's XLogSegNo), so ranges and distances are plain subtraction. */
export function segmentNumber(name: string, segSize: number = DEFAULT_SEGMENT_SIZE): number {
  // A bare segment name (what the catalog holds for 100,000s of segments) is read without building a WalName.
  const bare = SEGMENT_RE.test(name);
  const w = bare ? undefined : mustParse(name);
  const log = w ? w.log : Number.parseInt(name.slice(8, 16), 16);
  const seg = w ? w.seg : Number.parseInt(name.slice(16, 24), 16);
  if (log === undefined || seg === undefined) {
    throw new PgdrError('CATALOG_INVALID', `'${name}' names a history file, not a segment`);
  }
  const perId = segmentsPerLogId(segSize);
  if (seg >= perId) {
    throw new PgdrError('CATALOG_INVALID', `'${name}' cannot exist with ${segSize}-byte segments`, {
      hint: `the last 8 digits must be below ${hex8(perId)}`,
    });
  }
  return log * perId + seg;
}

export function segmentFromNumber(
  timeline: number,
  segNo: number,
  segSize: number = DEFAULT_SEGMENT_SIZE,
): string {
  const perId = segmentsPerLogId(segSize);
  return segmentName(timeline, Math.floor(segNo / perId), segNo % perId);
}

/** The segment after `name` on the same timeline, rolling over to the next log id. */
export function nextSegment(name: string, segSize: number = DEFAULT_SEGMENT_SIZE): string {
  return segmentFromNumber(mustParse(name).timeline, segmentNumber(name, segSize) + 1, segSize);
}

// ---- LSNs ----

const LSN_RE = /^([0-9A-F]{1,8})\/([0-9A-F]{1,8})$/i;

export function parseLsn(text: string): bigint {
  const m = LSN_RE.exec(text.trim());
  if (!m)
    throw new PgdrError('CATALOG_INVALID', `'${text}' is not an LSN`, {
      hint: 'expected X/Y in hex, e.g. 0/6000028',
    });
  return (BigInt(`0x${m[1]}`) << 32n) | BigInt(`0x${m[2]}`);
}

export function formatLsn(lsn: bigint): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}

export function compareLsn(a: string | bigint, b: string | bigint): number {
  const x = typeof a === 'bigint' ? a : parseLsn(a);
  const y = typeof b === 'bigint' ? b : parseLsn(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The segment holding the byte at `lsn` (PostgreSQL's XLByteToSeg + XLogFileName). */
export function walSegmentFromLsn(
  lsn: string | bigint,
  timeline: number,
  segSize: number = DEFAULT_SEGMENT_SIZE,
): string {
  const value = typeof lsn === 'bigint' ? lsn : parseLsn(lsn);
  checkSegmentSize(segSize);
  return segmentFromNumber(timeline, Number(value / BigInt(segSize)), segSize);
}

/** The LSN where a segment starts. */
export function segmentStartLsn(name: string, segSize: number = DEFAULT_SEGMENT_SIZE): bigint {
  return BigInt(segmentNumber(name, segSize)) * BigInt(segSize);
}
