// Timeline history files (NNNNNNNN.history): one line per ancestor, `parentTLI<TAB>switchpoint<TAB>reason`,
// oldest first. They tell which timeline must supply each segment when recovery follows a timeline.
import { PgdrError } from '../errors.js';
import { compareLsn, parseLsn, walSegmentFromLsn } from './wal-name.js';

export interface HistoryEntry {
  readonly parentTimeline: number;
  /** Where the parent ended and its child began. */
  readonly switchpoint: bigint;
  readonly reason: string;
}

export interface TimelineHistory {
  readonly timeline: number;
  /** Oldest ancestor first; the last entry's parent is the direct parent. */
  readonly entries: readonly HistoryEntry[];
}

/**
 * The largest history file read. One line per timeline switch, each well under 100 bytes: a real file holding
 * anything near this would have lived through ten thousand failovers.
 */
export const MAX_HISTORY_BYTES = 1024 * 1024;

export const HISTORY_LIMIT_HINT = `a history file holds one short line per timeline switch: pgdr reads at most ${MAX_HISTORY_BYTES} bytes`;

/** TimeLineID is a 32-bit unsigned integer in PostgreSQL. */
const MAX_TIMELINE = 0xffffffff;

/**
 * Parses a history file. barman insists on exactly three tab-separated fields; PostgreSQL (which we follow,
 * being the one that reads it during recovery) only needs the first two, separated by any whitespace.
 */
export function parseHistoryFile(text: string, timeline: number): TimelineHistory {
  if (text.length > MAX_HISTORY_BYTES) {
    throw new PgdrError('CATALOG_INVALID', `the history file of timeline ${timeline} is too large`, {
      hint: HISTORY_LIMIT_HINT,
    });
  }
  const entries: HistoryEntry[] = [];
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(\d{1,10})\s+([0-9A-Fa-f]{1,8}\/[0-9A-Fa-f]{1,8})(?:\s+([\s\S]*))?$/.exec(line);
    if (!m || Number(m[1]) < 1 || Number(m[1]) > MAX_TIMELINE) {
      const shown = line.length > 100 ? `${line.slice(0, 100)}...` : line;
      throw new PgdrError('CATALOG_INVALID', `bad line in the history of timeline ${timeline}: '${shown}'`, {
        hint: 'expected: parentTLI<TAB>switchpoint<TAB>reason',
      });
    }
    const entry = { parentTimeline: Number(m[1]), switchpoint: parseLsn(m[2]!), reason: m[3] ?? '' };
    const prev = entries[entries.length - 1];
    // PostgreSQL refuses histories whose timelines do not increase: they cannot describe a real ancestry.
    if (entry.parentTimeline >= timeline || (prev && entry.parentTimeline <= prev.parentTimeline)) {
      throw new PgdrError(
        'CATALOG_INVALID',
        `the history of timeline ${timeline} lists timeline ${entry.parentTimeline} out of order`,
      );
    }
    entries.push(entry);
  }
  if (entries.length === 0) {
    throw new PgdrError('CATALOG_INVALID', `the history file of timeline ${timeline} is empty`);
  }
  return { timeline, entries };
}

/** One stretch of a timeline's ancestry: WAL in [beginLsn, endLsn) is read from `timeline`. */
export interface AncestrySpan {
  readonly timeline: number;
  readonly beginLsn: bigint;
  /** The switch point to the next span; null for the timeline itself (open ended). */
  readonly endLsn: bigint | null;
  /** The first segment this span supplies: the one holding beginLsn (a child copies its parent's start). */
  readonly firstSegment: string;
  /**
   * The segment of this timeline holding endLsn: the child supplies it, so on this timeline it may be missing,
   * `.partial` or complete without any of those being a gap. Null for the open span, or when endLsn starts a
   * segment (then this timeline simply stops at the previous one).
   */
  readonly switchSegment: string | null;
}

/**
 * The spans recovery reads to reach `timeline`, oldest first. Without a history (timeline 1, or the file is
 * missing) the timeline is its own single span.
 */
export function timelineAncestry(
  timeline: number,
  history: TimelineHistory | undefined,
  segSize: number,
): AncestrySpan[] {
  const spans: AncestrySpan[] = [];
  let begin = 0n;
  for (const e of history?.entries ?? []) {
    if (compareLsn(e.switchpoint, begin) < 0) {
      throw new PgdrError(
        'CATALOG_INVALID',
        `the history of timeline ${timeline} goes back in LSN at timeline ${e.parentTimeline}`,
      );
    }
    const startsSegment = e.switchpoint % BigInt(segSize) === 0n;
    spans.push({
      timeline: e.parentTimeline,
      beginLsn: begin,
      endLsn: e.switchpoint,
      firstSegment: walSegmentFromLsn(begin, e.parentTimeline, segSize),
      switchSegment: startsSegment ? null : walSegmentFromLsn(e.switchpoint, e.parentTimeline, segSize),
    });
    begin = e.switchpoint;
  }
  spans.push({
    timeline,
    beginLsn: begin,
    endLsn: null,
    firstSegment: walSegmentFromLsn(begin, timeline, segSize),
    switchSegment: null,
  });
  return spans;
}

/** The span that must supply segment number `segNo` (XLogSegNo): the newest span starting at or before it. */
export function spanForSegment(spans: readonly AncestrySpan[], segNo: number, segSize: number): AncestrySpan {
  let found = spans[0]!;
  for (const s of spans) {
    if (BigInt(segNo) * BigInt(segSize) + BigInt(segSize) > s.beginLsn) found = s;
    else break;
  }
  return found;
}

/** The timeline whose WAL holds `lsn` when recovering along these spans. */
export function timelineAt(spans: readonly AncestrySpan[], lsn: bigint): number {
  for (const s of spans) if (s.endLsn === null || lsn < s.endLsn) return s.timeline;
  return spans[spans.length - 1]!.timeline;
}
