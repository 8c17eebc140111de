// `pgdr replica promote`, in two calls so that the CLI can show what would be lost and ask in between:
// preparePromotion() changes nothing (and refuses a missing folder, a non-standby, or a new serverName whose
// archive is not empty); promoteReplica() points archive_command at the new serverName, then pg_ctl promote,
// so the new timeline's history file and WAL go to <destination>/<newServerName>/wals/ and never to the old
// primary's archive. The archive configuration and its credentials live beside the data folder
// (archive-config.ts); the standby's restore credentials leave it at the promotion (promote-server.ts).
import { listWal } from '../../catalog/wal-catalog.js';
import { serverNameProblem } from '../../config/server-name.js';
import type { ObjectStoreConfig } from '../../config/types.js';
import { PgdrError } from '../../errors.js';
import { shCommand } from '../../shell-quote.js';
import type { ObjectStore } from '../../storage/object-store.js';
import { checkWalArchive } from '../check-wal-archive.js';
import { sqlLiteral, writeArchiveConfig } from './archive-config.js';
import { promoteStandby, waitForHistory } from './promote-server.js';
import { assertDataDir, type ReplicaState, readReplicaState, writeReplicaState } from './replica-state.js';
import { type ReplicaStatus, replicaStatus } from './status.js';

export interface PreparePromotionOptions {
  readonly dir: string;
  readonly store: ObjectStore;
  readonly newServerName?: string | undefined;
  readonly signal?: AbortSignal | undefined;
}

export interface PromotionPlan {
  readonly state: ReplicaState;
  readonly status: ReplicaStatus;
  readonly newServerName: string;
  /** Archived segments the standby has not replayed: lost if promoted now. */
  readonly unreplayedSegments: number;
}

export async function preparePromotion(o: PreparePromotionOptions): Promise<PromotionPlan> {
  await assertDataDir(o.dir);
  const state = await readReplicaState(o.dir);
  if (state === undefined) {
    throw new PgdrError('NOT_STANDBY', `${o.dir} holds no standby made by pgdr replica create`, {
      hint: 'promote only a folder made by pgdr replica create (it holds pgdr-replica.json)',
    });
  }
  if (state.promoted !== undefined) {
    throw new PgdrError(
      'NOT_STANDBY',
      `the server in ${o.dir} was already promoted (timeline ${state.promoted.timeline}, archiving to ${state.promoted.serverName})`,
    );
  }
  const status = await replicaStatus({
    connectionString: state.connectionString,
    store: o.store,
    serverName: state.serverName,
    logFile: state.logFile,
    signal: o.signal,
  });
  if (!status.inRecovery) {
    throw new PgdrError('NOT_STANDBY', `the server in ${o.dir} is not in recovery: it is a primary already`);
  }
  const newServerName = o.newServerName ?? `${state.serverName}-tl${status.timeline + 1}`;
  const problem = serverNameProblem(newServerName);
  if (problem !== undefined) {
    throw new PgdrError('USAGE', `the new serverName '${newServerName}' ${problem}; nothing was changed`, {
      hint: 'pass --new-server-name with letters, digits, dot, dash and underscore only',
    });
  }
  if (newServerName === state.serverName) {
    throw new PgdrError(
      'USAGE',
      `--new-server-name must differ from the archive the standby follows (${state.serverName})`,
    );
  }
  // barman-cloud-check-wal-archive before the new primary's first archive: never mix two servers' WAL.
  await checkWalArchive({ store: o.store, serverName: newServerName, signal: o.signal });
  return { state, status, newServerName, unreplayedSegments: status.unreplayedSegments };
}

export interface PromoteOptions {
  readonly plan: PromotionPlan;
  readonly store: ObjectStore;
  /** The store the standby follows, as configured: the new primary archives into it. */
  readonly objectStore: ObjectStoreConfig;
  readonly pgdrCommand: readonly string[];
  readonly signal?: AbortSignal | undefined;
}

export interface PromoteResult {
  readonly timeline: number;
  readonly newServerName: string;
  readonly archiveConfigFile: string;
  readonly archiveCommand: string;
  /** The new timeline's history file reached the new serverName's archive within the wait. */
  readonly historyArchived: boolean;
  readonly state: ReplicaState;
}

export async function promoteReplica(o: PromoteOptions): Promise<PromoteResult> {
  const { state, newServerName } = o.plan;
  const configFile = await writeArchiveConfig({
    pgdata: state.pgdata,
    serverName: newServerName,
    objectStore: o.objectStore,
    wal: o.objectStore.wal,
  });
  const archiveCommand = `${shCommand([...o.pgdrCommand, 'wal', 'archive', '--config', configFile])} %p`;
  const timeline = await promoteStandby({
    state,
    alterArchiveCommand: `ALTER SYSTEM SET archive_command = ${sqlLiteral(archiveCommand)}`,
  });
  const historyArchived = await waitForHistory({
    list: async () => (await listWal(o.store, newServerName, { signal: o.signal })).objects,
    timeline,
    signal: o.signal,
  });
  const promoted: ReplicaState = {
    ...state,
    promoted: { at: new Date().toISOString(), timeline, serverName: newServerName, configFile },
  };
  await writeReplicaState(state.pgdata, promoted);
  return {
    timeline,
    newServerName,
    archiveConfigFile: configFile,
    archiveCommand,
    historyArchived,
    state: promoted,
  };
}
