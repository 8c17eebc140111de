// `pgdr drill --scenario replica`: the runbook's monthly "test replica cluster" item. Builds a hot standby from
// the archive, measures how far it trails the newest archived WAL until it catches up, promotes it, verifies
// and removes it, with the restore drill's report and stages. The bucket is only read: the standby's
// archive_command stays 'false' through promotion, so only the history object (publish-report.ts) is written.
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorText, NOT_RUN, StepRunner } from '../common/steps.js';
import type { ReplicaState } from '../engine/replica/replica-state.js';
import type { ReplicaStatus } from '../engine/replica/status.js';
import { PgdrError } from '../errors.js';
import type { AmcheckSummary } from '../verify/amcheck-findings.js';
import { cleanupDrill, cleanupStage } from './drill-cleanup.js';
import { preflightStage } from './drill-preflight.js';
import type { DrillCheck, DrillReport, StageName, StageRunner } from './drill-types.js';
import { verifyStage } from './drill-verify.js';
import { finishReport } from './finish-report.js';
import { publishReport } from './publish-report.js';
import { createStage, promoteStage, replayStage } from './replica-stages.js';
import type { DrillOptions } from './run-drill.js';

export async function runReplicaDrill(o: DrillOptions): Promise<DrillReport> {
  if ((o.target ?? 'latest') !== 'latest') {
    throw new PgdrError('USAGE', 'drill: --scenario replica follows the archive to its end', {
      hint: 'drop --target (or use --scenario restore for a chosen or random time)',
    });
  }
  const startedAt = new Date();
  const id = randomBytes(4).toString('hex');
  const runner = new StepRunner<StageName>();
  const note = (s: string) => o.onStage?.(s);
  note('preflight');
  const pre = await preflightStage(runner, o);
  o.signal?.throwIfAborted();
  let backupId: string | null = null;
  let workDir: string | undefined;
  let state: ReplicaState | undefined;
  let caughtUp: ReplicaStatus | undefined;
  let checks: readonly DrillCheck[] = [];
  let verification: AmcheckSummary | null = null;
  const dataDir = () => join(workDir!, 'data');
  if (runner.failed) {
    for (const s of ['plan', 'fetch', 'replay', 'promote', 'verify'] as const) {
      runner.skip(s, 'not run: preflight failed');
    }
  } else {
    try {
      workDir = await fsp.mkdtemp(join(o.workRoot ?? tmpdir(), 'pgdr-drill-'));
      // As root the server runs as the postgres user, who must enter and list it (data/ itself is 0700).
      await fsp.chmod(workDir, 0o755);
    } catch (e) {
      runner.fail('plan', errorText(e));
    }
    if (workDir) {
      state = await createStage(runner, o, dataDir(), (b) => {
        backupId = b;
      });
      if (!state) skipIfMissing(runner, 'fetch');
      note('replay');
      caughtUp = await replayStage(runner, o, state);
      note('promote');
      await promoteStage(runner, state, caughtUp);
    } else {
      for (const s of ['fetch', 'replay', 'promote'] as const) runner.skip(s, 'not run: plan failed');
    }
    note('verify');
    ({ checks, verification } = await verifyStage(runner, {
      server: state ?? null,
      database: o.database ?? 'postgres',
      dataChecks: o.dataChecks ?? [],
      major: state?.major,
      amcheckBounds: o.amcheckBounds,
      signal: o.signal,
    }));
  }
  note('cleanup');
  const w = workDir;
  await cleanupStage(runner, async () =>
    w
      ? cleanupDrill({ workDir: w, dataDir: dataDir(), server: state ?? null, keep: o.keep ?? false })
      : 'nothing to clean up',
  );
  const report = finishReport({
    id,
    scenario: 'replica',
    serverName: o.serverName,
    destination: o.store.displayUrl,
    target: { requested: 'latest', time: null, reached: null },
    runner,
    status: pre.status ?? null,
    // No RestoreResult here: the replayed transaction comes from the standby's status instead (below).
    restored: null,
    checks,
    verification,
    backupId: state?.backupId ?? backupId,
    kept:
      o.keep && workDir
        ? {
            dir: dataDir(),
            connectionString: state?.connectionString ?? null,
            stopCommand: state?.stopCommand ?? null,
          }
        : null,
    startedAt,
  });
  return publishReport(o, { ...withRpo(report, caughtUp), preflightChecks: pre.checks });
}

/** The restore drill's RPO (finish-report.ts), from the last transaction the standby replayed before promotion. */
function withRpo(r: DrillReport, caughtUp: ReplicaStatus | undefined): DrillReport {
  const last = caughtUp?.lastReplayedTransaction ?? null;
  const newest = r.newestWalArchivedAt;
  const rpoMs =
    newest && last && r.rtoMs !== null ? Math.max(0, Date.parse(newest) - Date.parse(last)) : null;
  return { ...r, lastReplayedTransaction: last, rpoMs };
}

/** createStage records plan (and fetch when it got there); a plan failure leaves fetch unrecorded. */
function skipIfMissing(runner: StageRunner, name: 'fetch'): void {
  if (!runner.results.some((s) => s.name === name)) runner.skip(name, NOT_RUN);
}
