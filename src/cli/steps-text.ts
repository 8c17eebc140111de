// The one text rendering of a step list (src/common/steps.ts) for every command that prints one: the k8s
// runbooks' timings, restore's stages, failback's steps and the demo's summary. Text and JSON come from the same
// StepResult list, so what a person reads and what a script reads cannot disagree.
import { NOT_RUN, type StepResult } from '../common/steps.js';
import { table } from './output.js';

/** Milliseconds as the step tables show them. */
export const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** The words the step tables use for a step's status. */
export function stepStatusWord(s: StepResult): string {
  if (s.status === 'pass') return 'done';
  if (s.status === 'fail') return 'failed';
  return s.detail === NOT_RUN ? 'not run' : 'skipped';
}

export interface StepsTableOptions<S extends StepResult> {
  /** Headers of the name, status and duration columns. */
  readonly head?: readonly [string, string, string];
  /** The first column (default the step's name). */
  readonly label?: (s: S) => string;
  /** The status column (default stepStatusWord). */
  readonly status?: (s: S) => string;
  /** Columns after the duration: a header and each step's cell. */
  readonly columns?: ReadonlyArray<readonly [string, (s: S) => string]>;
  /** A last row for the whole: its label, its status and its duration. */
  readonly total?: readonly [string, string, number];
}

/** A table of steps; a step that never ran shows no duration (its 0 was not measured). */
export function stepsTable<S extends StepResult>(steps: readonly S[], o: StepsTableOptions<S> = {}): string {
  const columns = o.columns ?? [];
  const rows = steps.map((s) => [
    o.label?.(s) ?? s.name,
    (o.status ?? stepStatusWord)(s),
    s.detail === NOT_RUN ? '' : seconds(s.durationMs),
    ...columns.map(([, cell]) => cell(s)),
  ]);
  if (o.total) {
    const [label, status, ms] = o.total;
    rows.push([label, status, seconds(ms), ...columns.map(() => '')]);
  }
  return table([...(o.head ?? ['step', 'status', 'duration']), ...columns.map(([h]) => h)], rows);
}

/** Every line indented by n spaces (trailing blank lines dropped). */
export const indent = (text: string, n: number): string =>
  text
    .trimEnd()
    .split('\n')
    .map((l) => `${' '.repeat(n)}${l}`)
    .join('\n');
