// Replay progress as recovery polls see it: the LSN replayed against where recovery is heading (the target LSN,
// else the end of the newest archived segment the plan reads), with the segments still to replay.
import { formatLsn, parseLsn, segmentNumber } from '../../catalog/wal-name.js';
import type { ProgressSink } from '../../progress/events.js';

export function replayProgress(
  progress: ProgressSink | undefined,
  o: { readonly walTo: string; readonly segSize: number; readonly targetLsn?: bigint | undefined },
): ((lsn: string) => void) | undefined {
  if (progress === undefined) return undefined;
  const endOfArchive = BigInt(segmentNumber(o.walTo, o.segSize) + 1) * BigInt(o.segSize);
  const target = o.targetLsn !== undefined && o.targetLsn < endOfArchive ? o.targetLsn : endOfArchive;
  const seg = BigInt(o.segSize);
  return (lsn) => {
    const now = parseLsn(lsn);
    const left = now >= target ? 0n : (target - now + seg - 1n) / seg;
    progress.emit({
      type: 'lsn',
      task: 'replay',
      lsn: formatLsn(now),
      target: formatLsn(target),
      segmentsLeft: Number(left),
    });
  };
}
