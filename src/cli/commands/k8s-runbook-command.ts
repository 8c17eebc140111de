// What every `pgdr k8s` runbook command does once its steps are planned: --dry-run prints them and stops;
// otherwise connect, run the steps with progress lines (none under --format json), print the report with the
// command's own part of it, and throw the failure so that main.ts gives its exit code.
import type { KubeApi } from '../../k8s/api/kube-api.js';
import { type RunbookReport, runRunbook, type Step } from '../../k8s/runbook/runbook.js';
import type { Parsed } from '../args.js';
import type { CliContext } from '../main.js';
import { json, line } from '../output.js';
import { openRunbook, printReport, reportJson } from './k8s-common.js';

/** What a runbook's context starts from; `quiet` under --format json (a question then goes to stderr). */
export interface RunbookBase {
  readonly api: KubeApi;
  readonly signal: AbortSignal;
  readonly progress: (text: string) => void;
  readonly quiet: boolean;
}

/** The command's part of the report: fields after the report's in JSON, lines after its table in text. */
export interface RunbookOutcome {
  readonly json: Record<string, unknown>;
  readonly text: readonly string[];
}

export interface RunbookCommand<C> {
  readonly name: string;
  readonly title: string;
  readonly steps: readonly Step<C>[];
  readonly format: string;
  /** What --dry-run reads from the API, when it reads anything. */
  readonly reads?: string | undefined;
  context(base: RunbookBase): C;
  describeState(c: C): Promise<string[]>;
  outcome(report: RunbookReport, c: C, api: KubeApi): RunbookOutcome | Promise<RunbookOutcome>;
}

export async function runRunbookCommand<C>(
  ctx: CliContext,
  p: Parsed,
  o: RunbookCommand<C>,
): Promise<number> {
  const opened = await openRunbook(ctx, p, o.title, o.steps, o.format, o.reads);
  if (opened === undefined) return 0;
  const { api, quiet, printer } = opened;
  const c = o.context({
    api,
    signal: ctx.signal,
    progress: quiet ? () => undefined : printer.progress,
    quiet,
  });
  const report = await runRunbook(o.name, o.steps, c, {
    onStep: quiet ? undefined : printer.onStep,
    describeState: (x) => o.describeState(x),
  });
  const out = await o.outcome(report, c, api);
  if (quiet) json(ctx, { ...reportJson(report), ...out.json });
  else {
    printReport(ctx, report);
    for (const l of out.text) line(ctx, l);
  }
  if (report.failure) throw report.failure.error;
  return 0;
}
