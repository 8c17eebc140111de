// The shape every check and verify step reports in, shared by `pgdr check`, `pgdr verify` and the drill, so one
// renderer and one exit-code rule serve them all.

/** `skip`: the check did not run (not configured, or an earlier check failed). A skip is never a pass. */
export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';
export type CheckOutcome = 'pass' | 'warn' | 'fail';

/** Numbers, text, booleans; timestamps as ISO-8601 strings, so a JSON report round-trips for --expect-from. */
export type CheckValue = number | string | boolean | null;

export interface CheckResult {
  readonly name: string;
  readonly status: CheckStatus;
  /** One line: what was found. */
  readonly finding: string;
  /** One line: what to do about it; '' when nothing needs doing. */
  readonly hint: string;
  readonly durationMs: number;
  readonly value?: CheckValue;
}

export interface ChecksReport {
  readonly result: CheckOutcome;
  readonly checks: readonly CheckResult[];
  readonly startedAt: Date;
  readonly finishedAt: Date;
}

export function outcome(checks: readonly CheckResult[]): CheckOutcome {
  if (checks.some((c) => c.status === 'fail')) return 'fail';
  // A report where nothing ran proves nothing.
  if (!checks.some((c) => c.status === 'pass' || c.status === 'warn')) return 'fail';
  return checks.some((c) => c.status === 'warn') ? 'warn' : 'pass';
}

export type Draft = Omit<CheckResult, 'durationMs' | 'name'> & { readonly name?: string };

/** Runs one check, timing it; an unexpected throw becomes a fail of that check, never a crash of the report. */
export async function timed(name: string, fn: () => Promise<Draft> | Draft): Promise<CheckResult> {
  const t0 = performance.now();
  let d: Draft;
  try {
    d = await fn();
  } catch (e) {
    // An interrupted run has no result to report: let the abort through.
    if ((e as Error)?.name === 'AbortError' || (e as { code?: string })?.code === 'ABORTED') throw e;
    const err = e as { message?: string; hint?: string };
    d = { status: 'fail', finding: oneLine(err.message ?? String(e)), hint: err.hint ?? '' };
  }
  return { ...d, name: d.name ?? name, durationMs: Math.round(performance.now() - t0) };
}

export function skipped(name: string, finding: string, hint = ''): CheckResult {
  return { name, status: 'skip', finding, hint, durationMs: 0 };
}

export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
