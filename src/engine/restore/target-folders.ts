// The target folders of a restore and pgdr's marker in them (restore-marker.ts): put into every folder before
// the first byte of the restore is written, after clearing what an unfinished restore left there; taken out,
// tablespace folders first, once the tree is complete and synced.
import { isPgdrError, PgdrError } from '../../errors.js';
import type { RestorePlan } from './plan.js';
import {
  MARKER_NAME,
  type MarkerInfo,
  markerBody,
  removeMarker,
  wipeUnfinished,
  writeMarker,
} from './restore-marker.js';

/** A folder an unfinished pgdr restore had left, cleared before this one. */
export interface RestartedFolder {
  readonly dir: string;
  readonly previous: MarkerInfo;
  /** Entries removed from its top level. */
  readonly removed: number;
}

/**
 * Before anything else is written: clears the folders an unfinished pgdr restore left (the plan found its
 * marker in them) and puts this restore's marker into every target folder.
 */
export async function markFolders(
  plan: RestorePlan,
  onStage?: (s: string) => void,
): Promise<RestartedFolder[]> {
  const body = markerBody({ serverName: plan.serverName, backupId: plan.backup.backupId, dataDir: plan.dir });
  const restarted: RestartedFolder[] = [];
  for (const f of plan.folders) {
    if (f.unfinished !== null) {
      onStage?.(`clearing the unfinished restore in ${f.dir}`);
      const removed = await wipeUnfinished(f.dir);
      restarted.push({ dir: f.dir, previous: f.unfinished, removed });
    }
    await writeMarker(f.dir, body, f.unfinished !== null);
  }
  return restarted;
}

/** `delta`: a rerun of restore --delta compares again and finishes, rather than clearing the folder. */
export function withRerunHint(e: unknown, dir: string, delta = false): unknown {
  if (!isPgdrError(e)) return e;
  const rerun = delta
    ? `${dir} holds this unfinished delta restore (marker ${MARKER_NAME}): run pgdr restore --delta again to finish it`
    : `${dir} holds this unfinished restore (marker ${MARKER_NAME}): running pgdr restore again clears it and starts over`;
  return new PgdrError(e.code, e.message, {
    cause: e.cause,
    hint: e.hint ? `${e.hint}; ${rerun}` : rerun,
    details: e.details,
  });
}

/** Tablespace folders first: the data folder's marker, the one a rerun looks at first, goes last. */
export async function unmarkFolders(plan: RestorePlan): Promise<void> {
  for (const f of [...plan.folders].reverse()) await removeMarker(f.dir);
}
