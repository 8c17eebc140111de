// `pgdr restore` as an engine call: plan, download + extract, check the restored tree, write the recovery
// configuration, sync it all to disk, start the backup's PostgreSQL and wait for the target, timing every stage
// (their sum is the RTO). Plain options in, a plain result out: no environment, no printing. Drills and
// replicas call this too, so every mode gets the same checks and the same durability.
//
// The target folders carry pgdr's marker (restore-marker.ts) from before the first byte is written until the
// tree is complete and synced; PostgreSQL starts only once the markers are gone, so a folder with a marker never
// held a running server and a rerun may clear it.
import { promises as fsp } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ManifestState } from '../../catalog/backup-manifest.js';
import type { StepResult } from '../../common/steps.js';
import type { ObjectStoreConfig } from '../../config/types.js';
import { isPgdrError } from '../../errors.js';
import { freePort } from '../../postgres/free-port.js';
import { resolveServerUser, type ServerUser } from '../../postgres/os-user.js';
import { HOST_PLATFORM } from '../../postgres/platform.js';
import { PostgresServer } from '../../postgres/server.js';
import type { ProgressSink } from '../../progress/events.js';
import { chownTree } from './chown-tree.js';
import { deltaDownload, markDelta } from './delta.js';
import { type DownloadResult, downloadAndExtract } from './download.js';
import { type PlanOptions, planRestore, type RestorePlan } from './plan.js';
import {
  type RecoveryConfig,
  removeRestoreCredentials,
  restoreFilesDir,
  restorePrefetch,
  writeRecoveryConfig,
} from './recovery-config.js';
import { explainStop, type StopEvidence, shortReplay } from './replay-end.js';
import { replayProgress } from './replay-progress.js';
import { replaySettings } from './replay-settings.js';
import {
  type RestoreStageName,
  restoreStages,
  type StageMarks,
  type StageTimings,
  stageTimings,
} from './restore-stages.js';
import { checkRestoredTree, type TreeCheck } from './restored-tree.js';
import { StageClock } from './stage-clock.js';
import { stopCommandText } from './stop-server.js';
import { type SyncStats, syncTrees } from './sync-tree.js';
import { describeTarget, type TargetAction } from './target.js';
import { markFolders, type RestartedFolder, unmarkFolders, withRerunHint } from './target-folders.js';
import { type Confirmation, type EndState, waitForTarget } from './wait-target.js';
import { WalSeed } from './wal-seed.js';

export interface RestoreOptions extends Omit<PlanOptions, 'needBinaries'> {
  readonly objectStore: ObjectStoreConfig;
  /** argv prefix that runs pgdr, for restore_command. */
  readonly pgdrCommand: readonly string[];
  /** recovery_target_inclusive (default true; --exclusive makes it false). */
  readonly inclusive?: boolean;
  readonly action?: TargetAction;
  /** Stop after planning (--plan): nothing is written. */
  readonly planOnly?: boolean;
  /** Start PostgreSQL and wait for the target (default true). */
  readonly start?: boolean;
  /**
   * Fetch the first WAL segments while extracting, for the WAL service of the restored pg_wal to serve
   * (wal-seed.ts). Default: when the server is started here; replica create starts it itself.
   */
  readonly seedWal?: boolean;
  /** Default: a free port. */
  readonly port?: number | undefined;
  /** WAL segments per restore_command call (prefetch); default max(objectStore.wal.maxParallel, 8). */
  readonly walPrefetch?: number | undefined;
  /** Parallel tar downloads (default 4). */
  readonly concurrency?: number;
  /** Progress notes for a log; never needed for the result. */
  readonly onStage?: (stage: string) => void;
  /** Bytes downloaded per backup and tablespace, and the LSN replayed (src/progress). */
  readonly progress?: ProgressSink | undefined;
}

/**
 * What the commands built on restore() (drills, replica create, failback) take from their callers and hand on
 * to it as they are: the bucket and its configuration, the pgdr of restore_command, where the binaries come
 * from, and the call's abort and progress.
 */
export type RestoreInputs = Pick<
  RestoreOptions,
  'store' | 'objectStore' | 'pgdrCommand' | 'binDir' | 'binariesCache' | 'signal' | 'progress'
>;

export { failedStages } from './stage-clock.js';

export interface RunningServer {
  readonly host: string;
  readonly port: number;
  readonly pgdata: string;
  readonly socketDir: string;
  readonly logFile: string;
  readonly pgCtl: string;
  /** OS user the server runs as (null: as the caller). */
  readonly osUser: string | null;
  readonly connectionString: string;
  readonly stopCommand: string;
  /**
   * Settings given on the command line of this start only, for the replay (replay-settings.ts): not in
   * postgresql.auto.conf, so the next restart drops them.
   */
  readonly startSettings?: Readonly<Record<string, string>>;
}

export interface RestoreChecks {
  readonly tree: TreeCheck;
  readonly manifest:
    | { readonly kind: 'present'; readonly key: string; readonly files: number }
    | { readonly kind: 'absent' }
    | { readonly kind: 'skipped'; readonly key: string; readonly reason: string };
}

export interface RestoreResult {
  readonly plan: RestorePlan;
  readonly download: DownloadResult | null;
  readonly restarted: readonly RestartedFolder[];
  readonly checks: RestoreChecks | null;
  readonly synced: SyncStats | null;
  readonly recoveryConfig: RecoveryConfig | null;
  readonly server: RunningServer | null;
  readonly confirmation: Confirmation | null;
  /** plan, fetch, replay, promote: each step's time in ms and what it did; their sum is the RTO. */
  readonly stages: readonly StepResult<RestoreStageName>[];
  /** The same durations in seconds (the JSON field `timings`). */
  readonly timings: StageTimings;
}

/** Server log lines read to explain a recovery that ended early: pgdr's own errors sit near its end. */
const EVIDENCE_LINES = 400;

/**
 * Restores as the options say. A failure is a PgdrError whose details name the stage it failed in and carry the
 * stages as far as it got (stage-clock.ts: FailedStages, read back with failedStages()).
 */
export async function restore(o: RestoreOptions): Promise<RestoreResult> {
  const clock = new StageClock();
  try {
    return await stagedRestore(o, clock);
  } catch (e) {
    throw clock.failed(e, o.signal);
  }
}

async function stagedRestore(o: RestoreOptions, clock: StageClock): Promise<RestoreResult> {
  const t0 = performance.now();
  const start = o.start ?? true;
  const plan = await planRestore({ ...o, needBinaries: start && !o.planOnly });
  const tPlan = performance.now();
  const base = {
    plan,
    download: null,
    restarted: [],
    checks: null,
    synced: null,
    recoveryConfig: null,
    server: null,
    confirmation: null,
  };
  if (o.planOnly)
    return { ...base, ...timed({ plan, planMs: ms(t0, tPlan), stoppedBecause: 'plan only (--plan)' }, t0) };

  clock.planned(plan);
  const restarted = plan.delta ? await markDelta(plan) : await markFolders(plan, o.onStage);
  o.onStage?.(`downloading ${plan.tars.length} tar(s) of backup ${plan.backup.backupId}`);
  const user = await resolveServerUser();
  const ownDir = restoreFilesDir(plan.dir, plan.backup.version);
  const marked = { still: true };
  const prefetch = restorePrefetch(o);
  const seed =
    (o.seedWal ?? start) && prefetch > 1
      ? new WalSeed({
          store: o.store,
          serverName: o.serverName,
          walDir: dirname(ownDir),
          objects: plan.wal.objects,
          maxParallel: prefetch,
          segmentSize: plan.backup.xlogSegmentSize,
          user,
          signal: o.signal,
          note: (message, problem) =>
            problem ? o.onStage?.(message) : o.progress?.emit({ type: 'stage', message, verbose: true }),
        })
      : undefined;
  let kept = false;
  try {
    const result = await recover(o, plan, { t0, tPlan, user, ownDir, restarted, marked, seed, clock });
    kept = !start;
    return result;
  } catch (e) {
    throw marked.still ? withRerunHint(e, plan.dir, plan.delta !== undefined) : e;
  } finally {
    // Adopted by the server's WAL service by now, or of no use; kept only for the caller that starts the
    // server itself (replica create), whose first restore_command call comes next.
    if (!kept) await seed?.discard();
  }
}

function manifestChecks(m: ManifestState, files: number): RestoreChecks['manifest'] {
  if (m.kind === 'present') return { kind: 'present', key: m.key, files };
  return m;
}

async function recover(
  o: RestoreOptions,
  plan: RestorePlan,
  c: {
    t0: number;
    tPlan: number;
    user: ServerUser | null;
    ownDir: string;
    restarted: readonly RestartedFolder[];
    marked: { still: boolean };
    seed: WalSeed | undefined;
    clock: StageClock;
  },
): Promise<RestoreResult> {
  const { t0, tPlan, user } = c;
  const start = o.start ?? true;
  const fetch = plan.delta ? deltaDownload : downloadAndExtract;
  const download = await fetch(plan, {
    store: o.store,
    concurrency: o.concurrency,
    signal: o.signal,
    progress: o.progress,
  });
  c.seed?.fullSpeed();
  const checks: RestoreChecks = {
    tree: await checkRestoredTree(plan),
    manifest: manifestChecks(plan.manifest, download.manifestFiles),
  };
  const action = o.action ?? 'promote';
  const recoveryConfig = await writeRecoveryConfig({
    dir: plan.dir,
    ownDir: c.ownDir,
    walPrefetch: o.walPrefetch,
    serverName: o.serverName,
    objectStore: o.objectStore,
    pgdrCommand: o.pgdrCommand,
    settings: { target: plan.target, timeline: plan.timelineSetting, inclusive: o.inclusive ?? true, action },
    comment: `pgdr restore of backup ${plan.backup.backupId} (${plan.destination} ${o.serverName}) to ${describeTarget(plan.target)}, ${new Date().toISOString()}`,
  });
  // Made before the ownership change, so the server user owns it (pg_ctl's log goes there).
  await fsp.mkdir(join(plan.dir, 'log'), { recursive: true, mode: 0o700 });
  await fsp.chmod(plan.dir, 0o700);
  await chownTree(plan.dir, user);
  for (const t of plan.tars) if (t.oid !== null) await chownTree(t.dest, user);
  o.onStage?.('syncing the restored files to disk');
  const synced = await syncTrees(plan.folders.map((f) => f.dir));
  await unmarkFolders(plan);
  c.marked.still = false;
  await c.seed?.finish(recoveryConfig.configFile);
  const tDownload = performance.now();
  c.clock.fetched(plan, download);
  const marks = { plan, planMs: ms(t0, tPlan), fetched: { ms: ms(tPlan, tDownload), download } };
  const base = {
    plan,
    download,
    restarted: c.restarted,
    checks,
    synced,
    recoveryConfig,
    server: null,
    confirmation: null,
  };
  if (!start || plan.binaries === undefined) {
    const why = start ? 'no PostgreSQL binaries to start' : 'not started (--no-start)';
    return { ...base, ...timed({ ...marks, stoppedBecause: why }, t0) };
  }

  const port = o.port ?? (await freePort());
  const socketDir = Buffer.byteLength(join(plan.dir, `.s.PGSQL.${port}`)) <= 100 ? plan.dir : '/tmp';
  // log/ is skipped by base backups, like pg_wal/, and is where logging_collector writes by default.
  const logFile = join(plan.dir, 'log', 'pgdr-restore.log');
  const hasTarget = plan.target.kind !== 'latest';
  // To the end of the archive as a standby asked to promote from the start: PostgreSQL still replays all the
  // archive holds ("when you promote, we still finish replaying as much as we can from archive"), then ends
  // recovery with a fast promotion: no synchronous end-of-recovery checkpoint (it follows in the background),
  // as targets get below. PostgreSQL removes standby.signal when it promotes, as it would have removed
  // recovery.signal.
  if (!hasTarget) await fsp.rename(join(plan.dir, 'recovery.signal'), join(plan.dir, 'standby.signal'));
  // To a target, the server is told to pause there and asked to promote from the start: it promotes at the
  // target (wait-target.ts), or, should the request reach it only once paused, pgdr promotes it. The file on
  // disk still says what the operator asked for.
  const promoteAfterPause = hasTarget && action === 'promote';
  const promoteEarly = !hasTarget || promoteAfterPause;
  const replay = replaySettings({ major: plan.major, segments: plan.wal.segments, platform: HOST_PLATFORM });
  o.onStage?.(`starting PostgreSQL ${plan.binaries.version} on 127.0.0.1:${port}`);
  const server = await PostgresServer.start({
    bin: plan.binaries,
    pgdata: plan.dir,
    port,
    socketDir,
    logFile,
    runAs: user,
    wait: false,
    // As barman recover does: a restored copy must not archive into the source's archive (it would add a new
    // timeline there). Only for this run: with archive_mode on, .ready files (the new history file's too) wait
    // until the operator restarts with an archive_command of their choice.
    settings: {
      ...replay,
      archive_command: 'false',
      ...(promoteAfterPause ? { recovery_target_action: 'pause' } : {}),
    },
  });
  let reached: number | undefined;
  let paused = false;
  const want: EndState =
    !hasTarget || action === 'promote' ? 'promoted' : action === 'pause' ? 'paused' : 'shutdown';
  const evidence = async (): Promise<StopEvidence> => ({
    log: await server.logTail(EVIDENCE_LINES),
    logFile,
    problems: new Map(),
  });
  const replayed = { wal: plan.wal, segSize: plan.backup.xlogSegmentSize, dir: plan.dir };
  const onReplay = replayProgress(o.progress, {
    walTo: plan.wal.to,
    segSize: plan.backup.xlogSegmentSize,
    targetLsn: plan.target.kind === 'lsn' ? plan.target.lsn : undefined,
  });
  const confirmation = await waitForTarget({
    server,
    major: plan.major,
    want,
    promoteAfterPause,
    promoteEarly,
    signal: o.signal,
    // Called on every poll from the target on: the first call is the moment.
    onTargetReached: (state) => {
      if (reached !== undefined) return;
      reached = performance.now();
      paused = state === 'paused';
      if (paused && promoteAfterPause) c.clock.reached();
    },
    onReplayLsn: onReplay,
  }).catch(async (e) => {
    throw isPgdrError(e, 'RECOVERY_FAILED') ? (explainStop(replayed, await evidence()) ?? e) : e;
  });
  const tEnd = performance.now();
  if (confirmation.replayLsn !== null) {
    onReplay?.(confirmation.replayLsn);
    o.onStage?.(`replay ended at LSN ${confirmation.replayLsn}, the server is ${confirmation.state}`);
  }
  // Promoted: restore_command never runs again, so the bucket's credentials leave the data folder now.
  if (confirmation.state === 'promoted') await removeRestoreCredentials(plan.dir, plan.backup.version);
  // To the end of the archive, PostgreSQL promotes wherever restore_command first fails: check that replay
  // reached the last segment the plan listed.
  if (!hasTarget && confirmation.replayLsn !== null) {
    const short = shortReplay({ ...replayed, replayLsn: confirmation.replayLsn }, await evidence());
    if (short !== undefined) {
      // A server missing committed transactions must not look usable; the folder stays for inspection.
      await server.stop({ mode: 'fast' }).catch(() => undefined);
      throw short;
    }
  }
  const tReached = reached ?? tEnd;
  const pgCtl = plan.binaries.pgCtl;
  return {
    ...base,
    server:
      confirmation.state === 'shutdown'
        ? null
        : {
            host: server.host,
            port,
            pgdata: plan.dir,
            socketDir,
            logFile,
            pgCtl,
            osUser: user?.name ?? null,
            connectionString: server.connectionString(),
            stopCommand: stopCommandText({ pgCtl, pgdata: plan.dir, osUser: user?.name ?? null }),
            startSettings: replay,
          },
    confirmation,
    ...timed(
      {
        ...marks,
        recovered: {
          replayMs: ms(tDownload, tReached),
          promoteMs: paused && promoteAfterPause ? ms(tReached, tEnd) : null,
          confirmation,
        },
      },
      t0,
    ),
  };
}

const ms = (from: number, to: number = performance.now()) => Math.round(to - from);

/** The stages and their timings from the marks, with the whole call's wall time since t0. */
function timed(m: Omit<StageMarks, 'totalMs'>, t0: number) {
  const marks = { ...m, totalMs: ms(t0) };
  return { stages: restoreStages(marks), timings: stageTimings(marks) };
}
