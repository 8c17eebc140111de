import type { ReplicaStatus } from '../../engine/replica/status.js';
import { bytes } from '../output.js';

export function replicaStatusText(s: ReplicaStatus): string {
  const lag =
    s.lagSeconds === null ? 'unknown (no transaction replayed yet)' : `${s.lagSeconds.toFixed(1)} s`;
  const raw =
    s.rawLagSeconds !== null && s.lagSeconds !== s.rawLagSeconds
      ? ` (now() - last replayed commit: ${s.rawLagSeconds.toFixed(1)} s; the primary wrote nothing newer to the archive)`
      : '';
  const rx = s.walReceiver;
  return [
    `verdict:              ${s.verdict.toUpperCase()}${s.stuckSegment ? ` on segment ${s.stuckSegment}` : ''} — ${s.reason}`,
    `timeline:             ${s.timeline}${s.inRecovery ? '' : ' (not in recovery)'}`,
    `replay lag:           ${lag}${raw}`,
    `lag in bytes:         ${s.lagBytes === null ? 'unknown' : bytes(s.lagBytes)}`,
    `replayed up to:       ${s.replayLsn ?? '-'} (last commit ${s.lastReplayedTransaction ?? '-'})`,
    `newest archived:      ${s.newestArchivedSegment ?? '-'} (${s.unreplayedSegments} not replayed)`,
    `last restored:        ${s.lastRestoredSegment ?? '-'}`,
    `WAL receiver:         ${rx ? `${rx.status} from ${rx.senderHost ?? '?'}:${rx.senderPort ?? '?'} (flushed ${rx.flushedLsn ?? '-'})` : 'none (archive only)'}`,
  ].join('\n');
}
