// Renders a checks report as a table or as JSON; shared by `pgdr check`, `pgdr verify` and (later) the drill.
import { table } from '../common/text-format.js';
import type { CheckOutcome, CheckStatus, ChecksReport } from './check-result.js';

export function reportJson(r: ChecksReport, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    result: r.result,
    ...extra,
    startedAt: r.startedAt.toISOString(),
    finishedAt: r.finishedAt.toISOString(),
    checks: r.checks.map((c) => ({
      name: c.name,
      status: c.status,
      finding: c.finding,
      hint: c.hint,
      durationMs: c.durationMs,
      ...(c.value !== undefined ? { value: c.value } : {}),
    })),
  };
}

export function reportText(r: ChecksReport, title: string): string {
  const rows = r.checks.map((c) => [c.name, c.status.toUpperCase(), c.finding, c.hint]);
  const count = (s: CheckStatus) => r.checks.filter((c) => c.status === s).length;
  const tally = [
    `${count('pass')} passed`,
    `${count('warn')} warned`,
    `${count('fail')} failed`,
    `${count('skip')} skipped`,
  ].join(', ');
  return [
    title,
    '',
    table(['CHECK', 'STATUS', 'FINDING', 'HINT'], rows),
    '',
    `Result: ${word(r.result)} (${tally})`,
  ].join('\n');
}

function word(r: CheckOutcome): string {
  return r.toUpperCase();
}
