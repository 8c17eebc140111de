// Records stages fail-closed: a stage is `pass` only when its body returned; a throw is a `fail` with the
// error's message, and once anything failed every later stage is a `skip`, so the drill's result cannot be a
// pass by omission.
import { oneLine } from '../verify/check-result.js';
import type { DrillStage, StageName, StageStatus } from './drill-types.js';

export interface StageOutcome<T> {
  readonly value: T;
  readonly detail: string;
  /** A body may judge its own result (e.g. verify ran but a check failed). Default pass. */
  readonly status?: StageStatus;
  /** A duration measured more precisely than the wrapper can (e.g. restore()'s own stage timings). */
  readonly durationMs?: number;
}

export class StageRunner {
  readonly stages: DrillStage[] = [];

  get failed(): boolean {
    return this.stages.some((s) => s.status === 'fail');
  }

  /** Runs the body unless an earlier stage failed; returns its value, or undefined when skipped or failed. */
  async run<T>(name: StageName, body: () => Promise<StageOutcome<T>>): Promise<T | undefined> {
    if (this.failed) {
      this.skip(name, 'not run: an earlier stage failed');
      return undefined;
    }
    const t0 = performance.now();
    try {
      const out = await body();
      const durationMs = out.durationMs ?? Math.round(performance.now() - t0);
      this.stages.push({ name, status: out.status ?? 'pass', durationMs, detail: out.detail });
      return out.status === 'fail' ? undefined : out.value;
    } catch (e) {
      this.fail(name, errorText(e), Math.round(performance.now() - t0));
      return undefined;
    }
  }

  /** Cleanup runs even after a failure: it is recorded, never skipped. */
  async always(name: StageName, body: () => Promise<string>): Promise<void> {
    const t0 = performance.now();
    try {
      const detail = await body();
      this.stages.push({ name, status: 'pass', durationMs: Math.round(performance.now() - t0), detail });
    } catch (e) {
      this.fail(name, errorText(e), Math.round(performance.now() - t0));
    }
  }

  /** A stage timed elsewhere. One that ran after a failure is kept, but never counted as a pass. */
  record(stage: DrillStage): void {
    if (this.failed && stage.status === 'pass') {
      this.stages.push({
        ...stage,
        status: 'skip',
        detail: `not counted, an earlier stage failed: ${stage.detail}`,
      });
    } else this.stages.push(stage);
  }

  fail(name: StageName, detail: string, durationMs = 0): void {
    this.stages.push({ name, status: 'fail', durationMs, detail });
  }

  skip(name: StageName, detail: string): void {
    this.stages.push({ name, status: 'skip', durationMs: 0, detail });
  }
}

export function errorText(e: unknown): string {
  const err = e as { message?: string; hint?: string; code?: string };
  const msg = oneLine(err?.message ?? String(e));
  const withCode = err?.code ? `${err.code}: ${msg}` : msg;
  return err?.hint ? `${withCode} (${oneLine(err.hint)})` : withCode;
}
