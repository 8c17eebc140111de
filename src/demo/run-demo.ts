// `pgdr demo`: the runbook's scenarios played one after another on the embedded default, each verified,
// timed and summarised. Whatever happens (a failing scenario, an error, Ctrl-C), every PostgreSQL the demo
// started is stopped, and without --keep everything it made is removed.

import type { Writable } from 'node:stream';
import { removeTree } from '../common/remove-tree.js';
import { msToSeconds, type StepOutcome, type StepResult, StepRunner } from '../common/steps.js';
import { defaultCacheDir } from '../config/postgres-cache.js';
import { isPgdrError } from '../errors.js';
import { findBinaries } from '../postgres/binaries.js';
import { connect } from '../postgres/connect.js';
import { DEFAULT_VOLUMES, type Volumes } from './mastodon-data.js';
import { PgdrRunner } from './pgdr-child.js';
import { losePrimary, type PrimaryLoss } from './primary-loss.js';
import { Progress } from './progress.js';
import type { DemoContext, Scenario, ScenarioOutcome, ScenarioResult } from './scenario.js';
import { drillScenario } from './scenario-drill.js';
import { failoverScenario } from './scenario-failover.js';
import { latestScenario } from './scenario-latest.js';
import { pitrScenario } from './scenario-pitr.js';
import { statusScenario } from './scenario-status.js';
import { demoServerUser } from './server-user.js';
import { ServerRegistry } from './servers.js';
import { setUp } from './setup.js';
import { prepareWorkspace, removeWorkspace } from './workspace.js';
import type { Writer } from './writer.js';

/**
 * In play order. Scenario 1 comes after Scenario 2 and before Scenario 3 because it is where the primary is
 * lost: the standby must follow a live primary first, and Scenario 3 then recovers from that same loss.
 */
export const SCENARIOS: readonly Scenario[] = [
  statusScenario,
  pitrScenario,
  failoverScenario,
  latestScenario,
  drillScenario,
];

export interface DemoOptions {
  /** Where everything goes (missing or empty); default a new folder under the temp folder. */
  readonly dir?: string | undefined;
  readonly keep: boolean;
  readonly out: Writable;
  readonly tty: boolean;
  /** Escape codes allowed on the terminal (false with NO_COLOR). */
  readonly ansi?: boolean;
  readonly env: NodeJS.ProcessEnv;
  readonly signal: AbortSignal;
  /** Scenario ids to play (default all), in SCENARIOS' order. */
  readonly only?: readonly string[] | undefined;
  readonly fault?: string | undefined;
  readonly volumes?: Volumes | undefined;
}

export interface DemoResult {
  readonly root: string;
  readonly kept: boolean;
  readonly results: readonly ScenarioResult[];
  /** Each scenario played, as every step list has it: its id, title, pass or fail, durationMs, note. */
  readonly steps: readonly StepResult[];
  readonly wallMs: number;
  /** wallMs in seconds, the field's older name. */
  readonly wallSeconds: number;
  /** Data folders whose server could not be stopped (their files are then kept). */
  readonly stillRunning: readonly string[];
}

/** One scenario as a step: its outcome judges it; an error is shown with its hint and fails it. */
async function playScenario(
  s: Scenario,
  ctx: DemoContext,
  progress: Progress,
  signal: AbortSignal,
): Promise<StepOutcome<ScenarioOutcome>> {
  try {
    const out = await s.run(ctx);
    return { value: out, status: out.passed ? 'pass' : 'fail', detail: out.note ?? '' };
  } catch (e) {
    signal.throwIfAborted();
    const message = (e as Error).message;
    progress.fact(`error: ${message}`);
    const hint = isPgdrError(e) ? e.hint : undefined;
    for (const l of hint?.split('\n') ?? []) progress.fact(`  ${l}`);
    return { value: failedOutcome(message), status: 'fail', detail: message };
  }
}

function failedOutcome(note: string): ScenarioOutcome {
  return { passed: false, rtoMs: null, dataLost: '-', note };
}

export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const t0 = performance.now();
  const progress = new Progress(o.out, o.tty, o.ansi ?? true);
  const user = await demoServerUser((t) => progress.line(t));
  const bin = await findBinaries({ major: 17, runAs: user, cache: { dir: defaultCacheDir(o.env) } });
  const ws = await prepareWorkspace(o.dir, user);
  const servers = new ServerRegistry(bin, user);
  const pgdr = new PgdrRunner({ user, env: o.env, signal: o.signal });
  // Stopping the servers at once makes whatever query or wait is in flight fail fast.
  const onAbort = () => void servers.stopAll();
  o.signal.addEventListener('abort', onAbort, { once: true });
  const volumes = o.volumes ?? DEFAULT_VOLUMES;
  let writer: Writer | undefined;
  const results: ScenarioResult[] = [];
  let stillRunning: string[] = [];
  const scenarios = new StepRunner();
  progress.line(`pgdr demo: everything lives in ${ws.root}${o.keep ? ' (kept)' : ' (removed at the end)'}`);
  try {
    progress.heading(
      'Setup',
      'A primary (PostgreSQL 17 from npm) archiving its WAL through pgdr into a file:// object store, a ' +
        'Mastodon-shaped database, a base backup, and an application that keeps writing.',
    );
    const setup = await setUp({ ws, bin, user, pgdr, servers, progress, signal: o.signal, volumes });
    writer = setup.writer;
    let loss: Promise<PrimaryLoss> | undefined;
    const ctx: DemoContext = {
      ws,
      bin,
      user,
      pgdr,
      servers,
      progress,
      signal: o.signal,
      primary: setup.primary,
      writer: setup.writer,
      volumes,
      baselineStatusId: setup.baselineStatusId,
      fault: o.fault,
      losePrimary: () => {
        loss ??= losePrimary(setup.primary, setup.writer, servers);
        return loss;
      },
      discard: async (pgdata) => {
        await servers.stop(pgdata);
        if (!o.keep) await removeTree(pgdata);
      },
      connectTo: async (connectionString, database) => {
        const url = new URL(connectionString);
        if (database !== undefined) url.pathname = `/${encodeURIComponent(database)}`;
        return connect(url.toString(), { application: 'pgdr_demo' });
      },
    };
    // Scenarios are independent: each runs (and is judged) even after an earlier one failed.
    for (const s of SCENARIOS.filter((s) => o.only === undefined || o.only.includes(s.id))) {
      o.signal.throwIfAborted();
      progress.heading(s.title, s.explanation);
      const steps = progress.newScenario();
      // A failed step gives no value back: the outcome (what was lost, why) is kept from the body.
      let outcome: ScenarioOutcome | undefined;
      const play = async () => {
        const r = await playScenario(s, ctx, progress, o.signal);
        outcome = r.value;
        return r;
      };
      await scenarios.run(s.id, play, { title: s.title, always: true });
      o.signal.throwIfAborted();
      const played = scenarios.results.at(-1)!;
      const judged = outcome ?? failedOutcome(played.detail);
      results.push({
        id: s.id,
        title: s.title,
        ...judged,
        rtoSeconds: judged.rtoMs === null ? null : msToSeconds(judged.rtoMs),
        durationMs: played.durationMs,
        steps: steps.results,
      });
      if (setup.writer.error) progress.fact(`the application's writes failed: ${setup.writer.error.message}`);
    }
  } finally {
    o.signal.removeEventListener('abort', onAbort);
    await writer?.stop().catch(() => undefined);
    stillRunning = await servers.stopAll();
    if (!o.keep && stillRunning.length === 0) await removeWorkspace(ws);
  }
  const wallMs = Math.round(performance.now() - t0);
  return {
    root: ws.root,
    kept: o.keep || stillRunning.length > 0,
    results,
    steps: scenarios.results,
    wallMs,
    wallSeconds: msToSeconds(wallMs),
    stillRunning,
  };
}
