// `pgdr drill` as an engine call (the CLI, the agent and `pgdr serve` use it): preflight, restore into a
// throwaway folder and port, verify, clean up, then record the result in the bucket and notify. Fail-closed:
// the result is `pass` only when every stage ran and passed. Never throws for a drill failure; only an abort
// or a usage mistake does.

import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorText, StepRunner } from '../common/steps.js';
import type { RestoreInputs, RestoreResult } from '../engine/restore/restore.js';
import type { AmcheckBounds } from '../verify/amcheck-budget.js';
import type { AmcheckSummary } from '../verify/amcheck-findings.js';
import type { DataCheck } from '../verify/data-check.js';
import { cleanupDrill, cleanupStage } from './drill-cleanup.js';
import { preflightStage } from './drill-preflight.js';
import { drillRestore } from './drill-restore.js';
import { type DrillTargetInput, judgeReached, resolveTarget } from './drill-target.js';
import type { DrillCheck, DrillReport, DrillScenario, StageName } from './drill-types.js';
import { verifyStage } from './drill-verify.js';
import { finishReport } from './finish-report.js';
import { publishReport } from './publish-report.js';
import { runReplicaDrill } from './run-replica-drill.js';

export interface DrillOptions extends RestoreInputs {
  readonly serverName: string;
  /** 'latest' (default), 'random', or a time. */
  readonly target?: DrillTargetInput;
  readonly scenario?: DrillScenario;
  readonly dataChecks?: readonly DataCheck[];
  /** The database the data checks run in (default postgres; Mastodon's is mastodon_production). */
  readonly database?: string;
  /** Bounds of the verify stage's amcheck (every database); omitted ones take the defaults. */
  readonly amcheckBounds?: Partial<AmcheckBounds> | undefined;
  /** Keep the folder and the running server for inspection. */
  readonly keep?: boolean;
  /** Folder the throwaway folder is made in (default os.tmpdir()). */
  readonly workRoot?: string;
  readonly notifyUrl?: string | undefined;
  /** Append the report to the bucket's drill history (default true). */
  readonly recordHistory?: boolean;
  readonly maxWalAgeMs?: number;
  readonly maxBackupAgeMs?: number;
  readonly onStage?: ((note: string) => void) | undefined;
  readonly random?: () => number;
}

export async function runDrill(o: DrillOptions): Promise<DrillReport> {
  if ((o.scenario ?? 'restore') === 'replica') return runReplicaDrill(o);
  const startedAt = new Date();
  const id = randomBytes(4).toString('hex');
  const runner = new StepRunner<StageName>();
  const note = (s: string) => o.onStage?.(s);
  note('preflight');
  let backupId: string | null = null;
  const pre = await preflightStage(runner, o);
  const status = pre.status;
  o.signal?.throwIfAborted();

  let targetInfo = {
    requested: o.target ?? 'latest',
    time: null as string | null,
    reached: null as boolean | null,
  };
  let restored: RestoreResult | undefined;
  let checks: readonly DrillCheck[] = [];
  let verification: AmcheckSummary | null = null;
  let workDir: string | undefined;
  const dataDir = () => join(workDir!, 'data');
  if (runner.failed) {
    for (const s of ['plan', 'fetch', 'replay', 'promote', 'verify'] as const) {
      runner.skip(s, 'not run: preflight failed');
    }
  } else {
    let resolved: ReturnType<typeof resolveTarget> | undefined;
    try {
      resolved = resolveTarget(o.target ?? 'latest', status ?? null, o.random);
      targetInfo = { requested: resolved.requested, time: resolved.time, reached: null };
      workDir = await fsp.mkdtemp(join(o.workRoot ?? tmpdir(), 'pgdr-drill-'));
      // As root the server runs as the postgres user, who must enter and list it (data/ itself is 0700).
      await fsp.chmod(workDir, 0o755);
    } catch (e) {
      runner.fail('plan', errorText(e));
      for (const s of ['fetch', 'replay', 'promote', 'verify'] as const)
        runner.skip(s, 'not run: plan failed');
    }
    if (resolved && workDir) {
      const r = resolved;
      let reached: boolean | null = null;
      restored = await drillRestore(runner, {
        store: o.store,
        serverName: o.serverName,
        objectStore: o.objectStore,
        pgdrCommand: o.pgdrCommand,
        binDir: o.binDir,
        binariesCache: o.binariesCache,
        dir: dataDir(),
        target: r.target,
        targetDetail: r.detail,
        judge: (last) => {
          const j = judgeReached(r.time, last);
          if (r.time !== null) reached = j.ok;
          return j;
        },
        onStage: o.onStage,
        progress: o.progress,
        onBackup: (b) => {
          backupId = b;
        },
        signal: o.signal,
      });
      targetInfo = { ...targetInfo, reached };
      note('verify');
      const v = await verifyStage(runner, {
        server: restored?.server ?? null,
        database: o.database ?? 'postgres',
        dataChecks: o.dataChecks ?? [],
        major: restored?.plan.major,
        amcheckBounds: o.amcheckBounds,
        signal: o.signal,
      });
      checks = v.checks;
      verification = v.verification;
    }
  }
  note('cleanup');
  if (workDir) {
    const w = workDir;
    await cleanupStage(runner, () =>
      cleanupDrill({
        workDir: w,
        dataDir: dataDir(),
        server: restored?.server ?? null,
        keep: o.keep ?? false,
      }),
    );
  } else {
    await cleanupStage(runner, async () => 'nothing to clean up');
  }
  const report = finishReport({
    id,
    scenario: 'restore',
    serverName: o.serverName,
    destination: o.store.displayUrl,
    target: targetInfo,
    runner,
    status: status ?? null,
    restored: restored ?? null,
    checks,
    verification,
    backupId,
    kept:
      o.keep && workDir
        ? {
            dir: dataDir(),
            connectionString: restored?.server?.connectionString ?? null,
            stopCommand: restored?.server?.stopCommand ?? null,
          }
        : null,
    startedAt,
  });
  return publishReport(o, { ...report, preflightChecks: pre.checks });
}
