// What `backup list` and `status` say about each pgdr incremental: its parent, its chain (the full backup
// first, itself last) and depth, and its level (block or file, with the reason a block-level request fell
// back to file level). The level is in the incremental's backup.info (pgdr_incremental_level,
// pgdr_fallback_reason); an incremental written before those keys existed has it only in its
// pgdr-chain.json, which is then read (one bounded GET each); one that cannot be read shows no level.
import type { BackupInfo } from '../catalog/backup-info.js';
import { readChainLevel } from '../catalog/incremental-chain.js';
import { mapLimit } from '../common/map-limit.js';
import type { ObjectStore } from '../storage/object-store.js';

const LEVEL_FIELD = 'pgdr_incremental_level';
const FALLBACK_FIELD = 'pgdr_fallback_reason';

export interface IncrementalView {
  readonly backupId: string;
  readonly parentBackupId: string | null;
  /** The full backup first, then each incremental, ending with this one; null when a link is missing. */
  readonly chain: readonly string[] | null;
  /** Incrementals in the chain up to and including this one (1: its parent is a full backup). */
  readonly depth: number | null;
  readonly level: 'block' | 'file' | null;
  readonly fallbackReason: string | null;
}

export async function incrementalViews(o: {
  store: ObjectStore;
  serverName: string;
  fulls: readonly BackupInfo[];
  incrementals: readonly BackupInfo[];
  signal?: AbortSignal | undefined;
}): Promise<IncrementalView[]> {
  const fullIds = new Set(o.fulls.map((b) => b.backupId));
  const incById = new Map(o.incrementals.map((b) => [b.backupId, b]));
  return mapLimit([...o.incrementals], 4, async (b) => {
    const chain = chainOf(b, fullIds, incById);
    const recorded = levelOf(fieldText(b, LEVEL_FIELD));
    const read =
      recorded === null && b.status === 'DONE'
        ? await readChainLevel(o.store, o.serverName, b.backupId, o.signal).catch(() => null)
        : null;
    const level = recorded ?? levelOf(read?.level ?? null);
    return {
      backupId: b.backupId,
      parentBackupId: b.parentBackupId,
      chain,
      depth: chain === null ? null : chain.length - 1,
      level,
      fallbackReason:
        level === 'file'
          ? recorded !== null
            ? fieldText(b, FALLBACK_FIELD)
            : (read?.fallbackReason ?? null)
          : null,
    };
  });
}

function chainOf(
  b: BackupInfo,
  fullIds: ReadonlySet<string>,
  incById: ReadonlyMap<string, BackupInfo>,
): string[] | null {
  const out = [b.backupId];
  for (let id = b.parentBackupId; id !== null; ) {
    if (out.includes(id)) return null;
    out.unshift(id);
    if (fullIds.has(id)) return out;
    const p = incById.get(id);
    if (p === undefined) return null;
    id = p.parentBackupId;
  }
  return null;
}

function levelOf(v: string | null): 'block' | 'file' | null {
  return v === 'block' || v === 'file' ? v : null;
}

/** A field pgdr added to backup.info, as text ('None' and a missing key are null). */
function fieldText(b: BackupInfo, key: string): string | null {
  const raw = b.fields.get(key);
  return raw === undefined || raw === 'None' ? null : raw;
}
