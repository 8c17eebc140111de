// What every scenario gets (the running demo) and gives back (one row of the summary).
import type pg from 'pg';
import type { StepResult } from '../common/steps.js';
import type { PostgresServer } from '../postgres/server.js';
import type { PrimaryLoss } from './primary-loss.js';
import type { SetupOptions } from './setup.js';
import type { Writer } from './writer.js';

/** What setup was given, and what it started. */
export interface DemoContext extends SetupOptions {
  readonly primary: PostgresServer;
  readonly writer: Writer;
  /** The highest statuses.id before the writer started: every later row is the writer's. */
  readonly baselineStatusId: bigint;
  /** PGDR_DEMO_FAULT: makes one scenario's verification fail on purpose (tests). */
  readonly fault: string | undefined;
  /** Takes the primary away (once; later calls return the same facts). */
  losePrimary(): Promise<PrimaryLoss>;
  /** Stops the server in a data folder and, without --keep, removes the folder (disk stays low). */
  discard(pgdata: string): Promise<void>;
  /** A client on a server the demo did not start itself (restored, standby). */
  connectTo(connectionString: string, database?: string): Promise<pg.Client>;
}

export interface ScenarioOutcome {
  readonly passed: boolean;
  /** Time until the database served again; null when the scenario recovers nothing. */
  readonly rtoMs: number | null;
  readonly dataLost: string;
  /** Why it failed, or a fact worth repeating under the summary. */
  readonly note?: string | undefined;
}

export interface Scenario {
  /** Short name for PGDR_DEMO_SCENARIOS and the summary. */
  readonly id: string;
  readonly title: string;
  readonly explanation: string;
  run(ctx: DemoContext): Promise<ScenarioOutcome>;
}

export interface ScenarioResult extends ScenarioOutcome {
  /** rtoMs in seconds, the field's older name (other tools read it). */
  readonly rtoSeconds: number | null;
  readonly id: string;
  readonly title: string;
  /** Wall time of the scenario. */
  readonly durationMs: number;
  /** The steps it showed, as every step list has them (src/common/steps.ts). */
  readonly steps: readonly StepResult[];
}
