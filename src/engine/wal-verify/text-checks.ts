// The small WAL files: timeline history files (parsed as recovery parses them) and backup label (.backup)
// files, whose start location must match their name. Both are read whole, bounded by wal-body.ts.

import { parseHistoryFile, type TimelineHistory, timelineAncestry } from '../../catalog/timeline-history.js';
import type { WalObject } from '../../catalog/wal-catalog.js';
import { formatLsn, parseLsn, parseWalName, segmentNumber } from '../../catalog/wal-name.js';
import type { ObjectStore } from '../../storage/object-store.js';
import { boundedWalBody, damageOf } from '../wal-body.js';

export type TextRead = { readonly text: string } | { readonly problem: string };

export async function readWalText(
  store: Pick<ObjectStore, 'get'>,
  obj: WalObject,
  signal?: AbortSignal,
): Promise<TextRead> {
  try {
    const parts: Buffer[] = [];
    for await (const chunk of boundedWalBody(await store.get(obj.key, { signal }), obj))
      parts.push(chunk as Buffer);
    return { text: Buffer.concat(parts).toString('utf8') };
  } catch (e) {
    return { problem: damageOf(e) };
  }
}

export function checkHistory(
  text: string,
  timeline: number,
  segSize: number,
): { history: TimelineHistory } | { problem: string } {
  try {
    const history = parseHistoryFile(text, timeline);
    timelineAncestry(timeline, history, segSize);
    return { history };
  } catch (e) {
    return { problem: damageOf(e) };
  }
}

/**
 * A child's history repeats its parent's and adds one line (PostgreSQL copies the parent's file): a
 * disagreement means one of the two files is not what PostgreSQL wrote.
 */
export function historyDisagreement(
  child: TimelineHistory,
  parent: TimelineHistory | undefined,
): string | undefined {
  const inherited = child.entries.slice(0, -1);
  if (!parent || child.entries.at(-1)?.parentTimeline !== parent.timeline) return undefined;
  const same =
    inherited.length === parent.entries.length &&
    inherited.every(
      (e, i) =>
        e.parentTimeline === parent.entries[i]!.parentTimeline &&
        e.switchpoint === parent.entries[i]!.switchpoint,
    );
  return same ? undefined : `its ancestry differs from the history of its parent timeline ${parent.timeline}`;
}

/** What is wrong with a backup label file named `name`, or undefined. */
export function backupLabelProblem(text: string, name: string, segSize: number): string | undefined {
  const wal = parseWalName(name);
  const start = /^START WAL LOCATION: ([0-9A-F]+\/[0-9A-F]+) \(file ([0-9A-F]{24})\)$/im.exec(text);
  const stop = /^STOP WAL LOCATION: ([0-9A-F]+\/[0-9A-F]+) \(file ([0-9A-F]{24})\)$/im.exec(text);
  if (!wal || wal.segmentName === undefined || wal.backupOffset === undefined)
    return 'not a backup label name';
  if (!start) return 'no START WAL LOCATION line';
  if (!stop) return 'no STOP WAL LOCATION line';
  const startLsn = parseLsn(start[1]!);
  const stopLsn = parseLsn(stop[1]!);
  const where = BigInt(segmentNumber(wal.segmentName, segSize)) * BigInt(segSize) + BigInt(wal.backupOffset);
  if (start[2]!.toUpperCase() !== wal.segmentName || startLsn !== where) {
    return `START WAL LOCATION ${formatLsn(startLsn)} (file ${start[2]}) is not where the file name says (${formatLsn(where)})`;
  }
  if (stopLsn < startLsn) return `STOP WAL LOCATION ${formatLsn(stopLsn)} comes before the start`;
  return undefined;
}
