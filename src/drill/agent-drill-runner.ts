// The agent's DrillRunner (src/agent/drill-hook.ts): a scheduled drill is the same runDrill as `pgdr drill`,
// recorded in the bucket's history, so `pgdr drill history` shows scheduled and manual drills alike.
import type { DrillOutcome, DrillRunner, DrillRunOptions } from '../agent/drill-hook.js';
import { openStore } from '../storage/open-store.js';
import type { DataCheck } from '../verify/data-check.js';
import { drillSummary } from './drill-format.js';
import type { DrillTargetInput } from './drill-target.js';
import { runDrill } from './run-drill.js';

export interface DrillRunnerSettings {
  /** The pgdr the drill's restore_command runs (cli/pgdr-command.ts). */
  readonly pgdrCommand: readonly string[];
  readonly target?: DrillTargetInput;
  readonly dataChecks?: readonly DataCheck[];
  readonly database?: string;
  readonly notifyUrl?: string;
}

export function createDrillRunner(settings: DrillRunnerSettings): DrillRunner {
  return {
    async run(o: DrillRunOptions): Promise<DrillOutcome> {
      const store = await openStore(o.config.objectStore);
      try {
        const r = await runDrill({
          store,
          serverName: o.config.serverName,
          objectStore: o.config.objectStore,
          pgdrCommand: settings.pgdrCommand,
          binDir: o.config.postgres.binDir,
          binariesCache: o.config.postgres.cacheDir ? { dir: o.config.postgres.cacheDir } : undefined,
          target: settings.target ?? 'latest',
          dataChecks: settings.dataChecks ?? [],
          database: settings.database,
          notifyUrl: settings.notifyUrl,
          onStage: (s) => o.log.log('info', 'drill.stage', s),
          signal: o.signal,
        });
        return { passed: r.result === 'pass', summary: drillSummary(r), backupId: r.backupId ?? undefined };
      } finally {
        await store.close();
      }
    },
  };
}
