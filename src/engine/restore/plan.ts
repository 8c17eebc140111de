// Plans a restore without writing anything: lists the catalogs, picks backup, timeline and WAL (plan-pure.ts),
// lists the backup's tars and reads its pgdr manifest, checks the target folders are empty (or an unfinished
// restore of pgdr's own) and that binaries of the backup's major exist.

import type { BackupInfo } from '../../catalog/backup-info.js';
import { type ManifestState, readBackupManifest } from '../../catalog/backup-manifest.js';
import { readServerState } from '../../catalog/server-state.js';
import { PgdrError } from '../../errors.js';
import { type BinariesCache, findBinaries, type PostgresBinaries } from '../../postgres/binaries.js';
import type { ServerTarget } from '../../storage/object-store.js';
import { backupTars } from './backup-files.js';
import type { BlockPatch } from './block-apply.js';
import { planChain, withIncrementals } from './chain-plan.js';
import {
  checkDeltaBackup,
  checkDeltaFolder,
  checkDeltaTablespace,
  type DeltaFolder,
} from './delta-target.js';
import { assertReachable, checkTargetFolder, type TargetFolder } from './empty-dir.js';
import { planFromCatalog, type TimelineChoice } from './plan-pure.js';
import { type PlannedTar, plannedTars } from './planned-tars.js';
import { describeMarker } from './restore-marker.js';
import { type TablespaceDest, tablespaceDests } from './tablespace-dests.js';
import type { RecoveryTarget } from './target.js';
import { absentHistoryFiles } from './wal-absent.js';
import type { WalRange } from './wal-range.js';

export interface PlanOptions extends ServerTarget {
  /** The data folder to restore into (absolute). */
  readonly dir: string;
  readonly target: RecoveryTarget;
  readonly backupRef?: string | undefined;
  readonly targetTli?: TimelineChoice | undefined;
  /** Check that PostgreSQL binaries of the backup's major exist (skip with --no-start). */
  readonly needBinaries: boolean;
  readonly binDir?: string | undefined;
  /** pgdr's cache of PostgreSQL binaries (postgres.cacheDir), and whether to fill it (--install-postgres). */
  readonly binariesCache?: BinariesCache | undefined;
  /** Tablespace name -> new location; default: the original location (as barman-cloud-restore). */
  readonly tablespaceMap?: Readonly<Record<string, string>> | undefined;
  /** Update DIR, an existing data directory of the backup's system, in place (delta.ts). */
  readonly delta?: boolean | undefined;
}

export type { PlannedTar };

export interface RestorePlan {
  readonly serverName: string;
  readonly destination: string;
  readonly dir: string;
  readonly backup: BackupInfo;
  readonly reason: string;
  readonly major: number;
  readonly target: RecoveryTarget;
  /** The timeline recovery ends on (what 'latest' resolves to, now). */
  readonly timeline: number;
  readonly timelineSetting: string;
  readonly tars: readonly PlannedTar[];
  readonly tablespaces: readonly TablespaceDest[];
  /** The data folder first, then each tablespace's: empty, or holding an unfinished restore of pgdr's. */
  readonly folders: readonly TargetFolder[];
  readonly manifest: ManifestState;
  readonly tarBytes: number;
  readonly wal: WalRange;
  /** WAL names the archive did not hold when listed, that recovery asks for (wal-absent.ts). */
  readonly absentWal: readonly string[];
  readonly totalBytes: number;
  /** A rough guess (assumed 50 MiB/s download, 0.1 s replay per segment, 5 s start-up). */
  readonly estimatedSeconds: number;
  readonly binaries: PostgresBinaries | undefined;
  readonly notes: readonly string[];
  /** Set for restore --delta: the existing data directory it updates. */
  readonly delta?: DeltaFolder | undefined;
  /** Block-level files of an incremental chain, written over once every tar is extracted. */
  readonly blocks?: readonly BlockPatch[] | undefined;
}

const ASSUMED_BYTES_PER_SECOND = 50 * 1024 * 1024;
export async function planRestore(o: PlanOptions): Promise<RestorePlan> {
  const { store, serverName, signal } = o;
  const delta = o.delta ? await checkDeltaFolder(o.dir) : undefined;
  const dataFolder = delta?.folder ?? (await checkTargetFolder(o.dir));
  const state = await readServerState(store, serverName, { signal });
  const { wal, histories, problems } = state;
  const { catalog, incrementals } = await withIncrementals(store, state.catalog, signal);
  const pure = planFromCatalog({
    catalog,
    wal,
    histories,
    target: o.target,
    backupRef: o.backupRef,
    targetTli: o.targetTli ?? 'latest',
  });
  const { backup } = pure;
  if (backup.version === null) {
    throw new PgdrError('CATALOG_INVALID', `backup ${backup.backupId} has no version in its backup.info`, {
      hint: 'barman-cloud-restore cannot restore it either; pick another backup with --backup-id',
    });
  }
  if (backup.snapshotsInfo !== null) {
    throw new PgdrError(
      'REFUSED',
      `backup ${backup.backupId} is a snapshot backup: it has no tars to download`,
      {
        hint: 'restore it from its volume snapshots, or pick a tar backup with --backup-id',
      },
    );
  }
  if (delta !== undefined) checkDeltaBackup(delta, backup);
  const major =
    backup.version >= 100000 ? Math.floor(backup.version / 10000) : Math.floor(backup.version / 100);
  const prefix = `${serverName}/base/${backup.backupId}/`;
  const listed = await store.list(prefix, { signal });
  const known = new Set((backup.tablespaces ?? []).map((t) => t.name));
  const unknown = Object.keys(o.tablespaceMap ?? {}).filter((n) => !known.has(n));
  if (unknown.length > 0) {
    throw new PgdrError(
      'USAGE',
      `backup ${backup.backupId} has no tablespace named ${unknown.map((n) => `'${n}'`).join(', ')}`,
      {
        hint: known.size
          ? `its tablespaces: ${[...known].join(', ')}`
          : 'it has no tablespaces besides PGDATA: drop --tablespace',
      },
    );
  }
  const tablespaces = tablespaceDests({
    backupId: backup.backupId,
    tablespaces: backup.tablespaces,
    dataDir: o.dir,
    map: o.tablespaceMap,
  });
  const folders = [dataFolder];
  for (const t of tablespaces)
    folders.push(delta ? await checkDeltaTablespace(delta, t) : await checkTargetFolder(t.dest));
  const chained = incrementals.has(backup.backupId)
    ? await planChain({ store, catalog, backup, dataDir: o.dir, tablespaces, signal })
    : undefined;
  const manifest =
    chained?.manifest ??
    (await readBackupManifest({
      store,
      prefix,
      listed: listed.objects,
      backupId: backup.backupId,
      signal,
    }));
  const tars =
    chained?.tars ??
    plannedTars(backup, backupTars(backup, listed.objects, prefix), {
      prefix,
      dataDir: o.dir,
      tablespaces,
      manifest,
    });
  const binaries = o.needBinaries
    ? await findBinaries({ major, binDir: o.binDir, cache: o.binariesCache })
    : undefined;
  if (o.needBinaries) await assertReachable(o.dir);
  const tarBytes = tars.reduce((n, t) => n + t.size, 0);
  const totalBytes = tarBytes + pure.wal.bytes;
  const notes = [...problems].map(([tli, why]) => `history of timeline ${tli} unreadable: ${why}`);
  if (chained) notes.push(`incremental backup: its chain ${chained.chain.join(' <- ')} is combined`);
  if (!o.needBinaries) notes.push(`PostgreSQL ${major} binaries were not checked (--no-start)`);
  if (manifest.kind === 'skipped')
    notes.push(`the backup's manifest ${manifest.key} is not checked: ${manifest.reason}`);
  for (const f of folders) {
    if (f.unfinished !== null)
      notes.push(
        `${f.dir} holds an unfinished pgdr restore (${describeMarker(f.unfinished)}): ${delta ? 'it is compared with the backup again and finished' : 'it is cleared and restored again'}`,
      );
  }
  return {
    serverName,
    destination: store.displayUrl,
    dir: o.dir,
    backup,
    reason: pure.reason,
    major,
    target: o.target,
    timeline: pure.timeline,
    timelineSetting: o.targetTli === undefined || o.targetTli === 'latest' ? 'latest' : String(o.targetTli),
    tars,
    tablespaces,
    folders,
    manifest,
    tarBytes,
    wal: pure.wal,
    absentWal: absentHistoryFiles(wal),
    totalBytes,
    estimatedSeconds: Math.ceil(totalBytes / ASSUMED_BYTES_PER_SECOND + pure.wal.segments * 0.1 + 5),
    binaries,
    notes,
    delta,
    ...(chained && chained.blocks.length > 0 ? { blocks: chained.blocks } : {}),
  };
}
