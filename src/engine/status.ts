// `pgdr status`: what the bucket can recover to right now. Gathers the catalogs, then the pure report/verdict.
import { type BackupCatalog, listBackups } from '../catalog/backup-catalog.js';
import type { BackupInfo } from '../catalog/backup-info.js';
import { INCREMENTAL_FOLDER } from '../catalog/incremental-chain.js';
import type { RecoveryReport } from '../catalog/recovery-types.js';
import { computeRecoveryReport, type Verdict, verdict } from '../catalog/recovery-window.js';
import { readServerState } from '../catalog/server-state.js';
import type { WalCatalog } from '../catalog/wal-catalog.js';
import type { ServerTarget } from '../storage/object-store.js';
import { type IncrementalView, incrementalViews } from './incremental-views.js';
import { type BrokenChain, brokenChains, withChainWarnings } from './status-chains.js';

export interface StatusOptions extends ServerTarget {
  readonly now: Date;
  /** The verdict's age limits (objectives.rpo and objectives.backupAge); verdict()'s defaults otherwise. */
  readonly maxWalAgeMs?: number | undefined;
  readonly maxBackupAgeMs?: number | undefined;
}

export interface StatusResult {
  readonly serverName: string;
  readonly destination: string;
  readonly now: Date;
  readonly catalog: BackupCatalog;
  /** pgdr's incremental backups (pgdr/incremental/), which count as restore points too. */
  readonly incrementals?: readonly BackupInfo[];
  /** Parent, chain, depth and level of each of `incrementals`, in the same order. */
  readonly incrementalViews?: readonly IncrementalView[];
  readonly wal: WalCatalog;
  readonly report: RecoveryReport;
  readonly verdict: Verdict;
  /** Incrementals whose chain lost a link (see status-chains.ts). */
  readonly brokenChains?: readonly BrokenChain[];
  readonly historyProblems: ReadonlyMap<number, string>;
}

export async function inspectServer(o: StatusOptions): Promise<StatusResult> {
  const { store, serverName, signal } = o;
  const { catalog, wal, histories, problems } = await readServerState(store, serverName, { signal });
  const incs = await listBackups(store, serverName, { signal, folder: INCREMENTAL_FOLDER });
  // An incremental whose chain lost a link is no restore point.
  const broken = brokenChains(catalog.backups, incs.backups);
  const restorable = incs.backups.filter((b) => !broken.some((x) => x.backupId === b.backupId));
  const backups = [...catalog.backups, ...restorable].sort((a, b) => (a.backupId < b.backupId ? -1 : 1));
  const report = computeRecoveryReport({ backups, wal, histories });
  const v = verdict(report, {
    now: o.now,
    ...(o.maxWalAgeMs !== undefined ? { maxWalAgeMs: o.maxWalAgeMs } : {}),
    ...(o.maxBackupAgeMs !== undefined ? { maxBackupAgeMs: o.maxBackupAgeMs } : {}),
    unreadableBackups: catalog.unreadable,
    unknownWalObjects: wal.unknown.length,
  });
  return {
    serverName,
    destination: store.displayUrl,
    now: o.now,
    catalog,
    incrementals: incs.backups,
    incrementalViews: await incrementalViews({
      store,
      serverName,
      fulls: catalog.backups,
      incrementals: incs.backups,
      signal,
    }),
    wal,
    report,
    verdict: withChainWarnings(v, broken),
    brokenChains: broken,
    historyProblems: problems,
  };
}
