// Steps: the one shape of a timed piece of a longer operation (restore stages, drill stages, Kubernetes
// runbooks, failback, the demo's scenarios) and the one runner that records them. Fail-closed: a step passes
// only when its body returned; once a step failed, later steps are skipped (clean-up steps still run), and the
// whole passes only when every step ran and passed. A step that was not applicable is a skip with its reason,
// which makes the whole `partial`, never `pass`. Durations are milliseconds everywhere.
import { isPgdrError, PgdrError } from '../errors.js';

type StepStatus = 'pass' | 'fail' | 'skip';

export interface StepResult<N extends string = string> {
  readonly name: N;
  /** What the step does, for people; absent where the name says it. */
  readonly title?: string;
  readonly status: StepStatus;
  /** Wall time of the step; 0 for a step that never ran. */
  readonly durationMs: number;
  /** pass: what was done; fail: the error; skip: why it did not run. */
  readonly detail: string;
}

/** The whole: `partial` when nothing failed but a step was skipped or one expected was never recorded. */
export type StepsVerdict = 'pass' | 'partial' | 'fail';

/** The detail of a step skipped because an earlier one failed. */
export const NOT_RUN = 'not run: an earlier step failed';

/** What a body gives back: its value and a one-line detail; it may judge its own result. */
export interface StepOutcome<T> {
  readonly value: T;
  readonly detail: string;
  /** 'fail': the body ran but found a problem (a failed check); 'skip': it was not applicable. */
  readonly status?: StepStatus;
  /** A duration measured more precisely than the runner can (e.g. one stage inside a longer call). */
  readonly durationMs?: number;
}

/** What a step that has nothing to do returns: the reason, recorded as a skip. */
export interface NotApplicable {
  readonly skipped: string;
}

/** A progress sink (src/progress/events.ts ProgressSink fits): each step's start is a stage event. */
interface StepEvents {
  emit(event: { readonly type: 'stage'; readonly message: string; readonly verbose?: boolean }): void;
}

export interface StepRunnerOptions<N extends string> {
  readonly progress?: StepEvents | undefined;
  /** The stage event's text for a step (default its title, else its name). */
  readonly label?: (name: N, title: string | undefined) => string;
  /** Called as a step starts (no result) and as it ends (its result). */
  readonly onStep?: (name: N, result?: StepResult<N>) => void;
}

export interface RunOptions {
  readonly title?: string | undefined;
  /** Runs even after an earlier step failed (clean-up of what the operation itself made). */
  readonly always?: boolean | undefined;
}

export class StepRunner<N extends string = string> {
  readonly results: StepResult<N>[] = [];
  /** The first step that failed and its error, as a PgdrError. */
  failure: { readonly step: N; readonly error: PgdrError } | undefined;
  private readonly t0 = performance.now();

  constructor(private readonly o: StepRunnerOptions<N> = {}) {}

  get failed(): boolean {
    return this.results.some((s) => s.status === 'fail');
  }

  /** Milliseconds since the runner was made. */
  elapsedMs(): number {
    return Math.round(performance.now() - this.t0);
  }

  /**
   * `pass` only when every recorded step passed and every name in `expected` was recorded: a missing step (a
   * bug, an abort) is never a pass by omission.
   */
  verdict(expected: readonly N[] = []): StepsVerdict {
    if (this.failed) return 'fail';
    const all = this.results.every((s) => s.status === 'pass');
    const complete = expected.every((n) => this.results.some((s) => s.name === n));
    return all && complete ? 'pass' : 'partial';
  }

  /**
   * Runs the body unless an earlier step failed (then it is skipped, unless `always`); returns its value, or
   * undefined when it was skipped or failed.
   */
  async run<T>(
    name: N,
    body: () => Promise<StepOutcome<T> | NotApplicable>,
    opts: RunOptions = {},
  ): Promise<T | undefined> {
    if (this.failed && !opts.always) {
      this.skip(name, NOT_RUN, opts.title);
      return undefined;
    }
    const title = opts.title;
    this.o.progress?.emit({ type: 'stage', message: this.o.label?.(name, title) ?? title ?? name });
    this.o.onStep?.(name);
    const t0 = performance.now();
    try {
      const out = await body();
      const measured = Math.round(performance.now() - t0);
      if ('skipped' in out) {
        this.push({ name, title, status: 'skip', durationMs: measured, detail: out.skipped });
        return undefined;
      }
      const status = out.status ?? 'pass';
      this.push({ name, title, status, durationMs: out.durationMs ?? measured, detail: out.detail });
      if (status === 'fail')
        this.failure ??= { step: name, error: new PgdrError('CHECKS_FAILED', out.detail) };
      return status === 'pass' ? out.value : undefined;
    } catch (e) {
      this.fail(name, e, Math.round(performance.now() - t0), title);
      return undefined;
    }
  }

  /**
   * For operations that stop at their first error: runs and records the step, then throws what the body threw
   * (unchanged, so an abort stays an abort).
   */
  async runOrThrow<T>(
    name: N,
    body: () => Promise<T>,
    opts: RunOptions & { detail?: (v: T) => string } = {},
  ) {
    let thrown: { e: unknown } | undefined;
    const v = await this.run(
      name,
      async () => {
        try {
          const value = await body();
          return { value, detail: opts.detail?.(value) ?? opts.title ?? name };
        } catch (e) {
          thrown = { e };
          throw e;
        }
      },
      opts,
    );
    if (thrown) throw thrown.e;
    const last = this.results.at(-1);
    if (last?.status !== 'pass')
      throw this.failure?.error ?? new PgdrError('INTERNAL', `${name}: ${last?.detail}`);
    return v as T;
  }

  /** A step timed elsewhere. One that passed after a failure is kept, but never counted as a pass. */
  record(step: StepResult<N>): void {
    if (this.failed && step.status === 'pass') {
      this.push({ ...step, status: 'skip', detail: `not counted, an earlier step failed: ${step.detail}` });
    } else this.push(step);
  }

  /** A failed step: `error` is the thrown value or already the text of the failure. */
  fail(name: N, error: unknown, durationMs = 0, title?: string): void {
    const text = typeof error === 'string';
    this.failure ??= {
      step: name,
      error: text ? new PgdrError('CHECKS_FAILED', error) : asPgdrError(error),
    };
    this.push({ name, title, status: 'fail', durationMs, detail: text ? error : errorText(error) });
  }

  skip(name: N, why: string, title?: string): void {
    this.push({ name, title, status: 'skip', durationMs: 0, detail: why });
  }

  private push(r: StepResult<N>): void {
    const clean: StepResult<N> = r.title === undefined ? withoutTitle(r) : r;
    this.results.push(clean);
    this.o.onStep?.(r.name, clean);
  }
}

function withoutTitle<N extends string>(r: StepResult<N>): StepResult<N> {
  const { title: _, ...rest } = r;
  return rest;
}

/** One step of a list run by runSteps: a name, a title, and a body given the shared context. */
export interface Step<C, N extends string = string> {
  readonly id: N;
  readonly title: string;
  /** Runs even after an earlier step failed (clean-up of what the steps themselves made). */
  readonly always?: boolean;
  /** Returns a one-line summary, or `{ skipped: reason }` when there was nothing to do. */
  run(ctx: C): Promise<string | NotApplicable>;
}

export interface StepsReport<N extends string = string> {
  /** Nothing failed and no step was left undone by a failure (a step not applicable is said in `result`). */
  readonly ok: boolean;
  readonly result: StepsVerdict;
  readonly steps: readonly StepResult<N>[];
  readonly totalMs: number;
  readonly failure?: { readonly step: N; readonly error: PgdrError } | undefined;
}

/** Runs a list of steps in order with one runner and reports the whole. */
export async function runSteps<C, N extends string>(
  steps: readonly Step<C, N>[],
  ctx: C,
  o: StepRunnerOptions<N> = {},
): Promise<StepsReport<N>> {
  const runner = new StepRunner<N>(o);
  for (const step of steps) {
    await runner.run(
      step.id,
      async () => {
        const out = await step.run(ctx);
        return typeof out === 'string' ? { value: undefined, detail: out } : out;
      },
      { title: step.title, always: step.always },
    );
  }
  return stepsReport(
    runner,
    steps.map((s) => s.id),
  );
}

function stepsReport<N extends string>(runner: StepRunner<N>, expected: readonly N[]): StepsReport<N> {
  const result = runner.verdict(expected);
  return {
    ok: result !== 'fail',
    result,
    steps: runner.results,
    totalMs: runner.elapsedMs(),
    failure: runner.failure,
  };
}

function asPgdrError(e: unknown): PgdrError {
  if (isPgdrError(e)) return e;
  return new PgdrError('INTERNAL', (e as Error)?.message ?? String(e), { cause: e });
}

/** One line: the error's code, message and hint (a step's detail, a report's summary). */
export function errorText(e: unknown): string {
  const err = e as { message?: string; hint?: string; code?: string };
  const msg = oneLine(err?.message ?? String(e));
  const withCode = err?.code ? `${err.code}: ${msg}` : msg;
  return err?.hint ? `${withCode} (${oneLine(err.hint)})` : withCode;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/** Seconds with three decimals, for the JSON fields that have always been in seconds. */
export const msToSeconds = (ms: number): number => Math.round(ms) / 1000;
