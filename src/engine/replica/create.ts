// `pgdr replica create`: restore() the latest backup without starting it, turn the folder into a hot standby
// (standby-config.ts) and start it. The standby follows the archive through the restore_command restore()
// wrote (pgdr wal restore, prefetching), and streams from the primary when given a conninfo. It keeps running
// after the call; its state file (replica-state.ts) tells the other replica commands where it is. The call
// returns once the standby has replayed the WAL the plan listed (replay-watch.ts), except for a delayed
// standby, which holds recent commits back on purpose.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { StepResult } from '../../common/steps.js';
import { PgdrError } from '../../errors.js';
import { findBinaries } from '../../postgres/binaries.js';
import { freePort } from '../../postgres/free-port.js';
import { chownToServerUser, resolveServerUser } from '../../postgres/os-user.js';
import { PostgresServer } from '../../postgres/server.js';
import { replayProgress } from '../restore/replay-progress.js';
import { type RestoreInputs, restore } from '../restore/restore.js';
import type { RestoreStageName } from '../restore/restore-stages.js';
import { stopCommandText } from '../restore/stop-server.js';
import { registerReplica } from './registry.js';
import { waitForPlannedReplay } from './replay-watch.js';
import { type ReplicaState, writeReplicaState } from './replica-state.js';
import { readLogFindings, stoppedError } from './server-log.js';
import { writeStandbyConfig } from './standby-config.js';

export interface CreateReplicaOptions extends RestoreInputs {
  readonly serverName: string;
  /** The data folder (absolute; missing or empty, or with `delta` a stopped data directory of the system). */
  readonly dir: string;
  /** Update an existing data directory in place (restore --delta) instead of restoring into an empty one. */
  readonly delta?: boolean | undefined;
  readonly primaryConninfo?: string | undefined;
  readonly minApplyDelay?: string | undefined;
  readonly port?: number | undefined;
  readonly backupRef?: string | undefined;
  readonly walPrefetch?: number | undefined;
  /** Registers the standby for `pgdr connections` (registry.ts); tests pass their own environment. */
  readonly env?: NodeJS.ProcessEnv | undefined;
  readonly onStage?: (stage: string) => void;
  /** restore()'s stages, once the files are in place (before the standby starts). */
  readonly onRestored?: (stages: readonly StepResult<RestoreStageName>[]) => void;
  /**
   * Wait until the standby has replayed the WAL the plan listed, failing (naming the segment) when it stops
   * or stays stuck on one (default true; the drill measures the replay itself).
   */
  readonly waitForReplay?: boolean;
}

export async function createReplica(o: CreateReplicaOptions): Promise<ReplicaState> {
  const restored = await restore({
    store: o.store,
    objectStore: o.objectStore,
    serverName: o.serverName,
    dir: o.dir,
    target: { kind: 'latest' },
    backupRef: o.backupRef,
    targetTli: 'latest',
    delta: o.delta,
    start: false,
    seedWal: true,
    binDir: o.binDir,
    pgdrCommand: o.pgdrCommand,
    walPrefetch: o.walPrefetch,
    signal: o.signal,
    onStage: o.onStage,
    progress: o.progress,
  });
  o.onRestored?.(restored.stages);
  const { plan } = restored;
  const bin = await findBinaries({ major: plan.major, binDir: o.binDir, cache: o.binariesCache });
  const user = await resolveServerUser();
  const port = o.port ?? (await freePort());
  const socketDir = Buffer.byteLength(join(o.dir, `.s.PGSQL.${port}`)) <= 100 ? o.dir : '/tmp';
  await writeStandbyConfig({
    dir: o.dir,
    port,
    socketDir,
    primaryConninfo: o.primaryConninfo,
    minApplyDelay: o.minApplyDelay,
    comment: `pgdr replica create from backup ${plan.backup.backupId} of ${plan.destination} ${o.serverName}`,
  });
  for (const f of ['postgresql.auto.conf', 'standby.signal']) await chownToServerUser(join(o.dir, f), user);
  const logFile = join(o.dir, 'log', 'pgdr-replica.log');
  o.onStage?.(`starting hot standby PostgreSQL ${bin.version} on 127.0.0.1:${port}`);
  // pg_ctl -w returns once the standby is consistent and accepts read-only connections.
  const server = await PostgresServer.start({
    bin,
    pgdata: o.dir,
    port,
    socketDir,
    logFile,
    runAs: user,
    timeoutSeconds: 600,
  }).catch(async (e) => {
    // Recovery aborted before the standby was consistent: name the object it stopped at.
    const stopped = (await readLogFindings(logFile)).stoppedAt;
    throw stopped ? stoppedError(stopped, logFile) : e;
  });
  const [row] = await server.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r');
  if (row?.r !== true) {
    throw new PgdrError(
      'RECOVERY_FAILED',
      `the server in ${o.dir} is not in recovery: it did not start as a standby`,
      {
        hint: `see ${logFile}`,
      },
    );
  }
  const state: ReplicaState = {
    pgdata: o.dir,
    host: server.host,
    port,
    socketDir,
    logFile,
    pgCtl: bin.pgCtl,
    osUser: user?.name ?? null,
    connectionString: server.connectionString(),
    stopCommand: stopCommandText({ pgCtl: bin.pgCtl, pgdata: o.dir, osUser: user?.name ?? null }),
    serverName: o.serverName,
    destinationPath: o.objectStore.destinationPath,
    backupId: plan.backup.backupId,
    major: plan.major,
    primaryConninfo: o.primaryConninfo ?? null,
    minApplyDelay: o.minApplyDelay ?? null,
    createdAt: new Date().toISOString(),
  };
  await writeReplicaState(o.dir, state);
  if (o.env !== undefined) await registerReplica(o.env, o.dir);
  await fsp.chmod(o.dir, 0o700);
  if ((o.waitForReplay ?? true) && o.minApplyDelay === undefined) {
    o.onStage?.(`replaying the archived WAL up to ${plan.wal.to}`);
    await waitForPlannedReplay({
      server,
      wal: plan.wal,
      segSize: plan.backup.xlogSegmentSize,
      logFile,
      signal: o.signal,
      onReplayLsn: replayProgress(o.progress, { walTo: plan.wal.to, segSize: plan.backup.xlogSegmentSize }),
    });
  }
  return state;
}
