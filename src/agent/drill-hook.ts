// The seam for restore drills: the agent only knows when a drill is due; src/drill supplies the DrillRunner, which
// the agent loads lazily. Without one, a due drill is logged and recorded as `skipped`, never as a result it did
// not get.
import type { PgdrConfig } from '../config/types.js';
import type { Logger } from './logger.js';

export interface DrillRunOptions {
  readonly config: PgdrConfig;
  readonly signal: AbortSignal;
  readonly log: Logger;
}

export interface DrillOutcome {
  readonly passed: boolean;
  /** One line for the log and `pgdr status`, e.g. "restored 20261124T060000 in 4m12s, 14 checks passed". */
  readonly summary: string;
  /** The backup the drill restored, when it got that far. */
  readonly backupId?: string | undefined;
}

export interface DrillRunner {
  run(o: DrillRunOptions): Promise<DrillOutcome>;
}

/** Loaded lazily by the agent, so a drill module can register itself without the agent importing it. */
export type DrillRunnerLoader = () => Promise<DrillRunner | undefined>;
