// The demo's last word: one row per scenario, and the verdict the exit code follows.
import { table } from '../common/text-format.js';
import type { ScenarioResult } from './scenario.js';

export function summaryText(results: readonly ScenarioResult[], wallSeconds: number): string {
  const rows = results.map((r) => [
    r.title,
    r.passed ? 'passed' : 'FAILED',
    r.rtoSeconds === null ? '-' : `${r.rtoSeconds.toFixed(1)} s`,
    r.dataLost,
  ]);
  const failed = results.filter((r) => !r.passed);
  const notes = results.filter((r) => r.note !== undefined).map((r) => `  ${r.id}: ${r.note}`);
  const verdict =
    failed.length === 0
      ? `All ${results.length} scenarios passed in ${wallSeconds.toFixed(0)} s.`
      : `${failed.length} of ${results.length} scenarios FAILED: ${failed.map((r) => r.id).join(', ')}.`;
  return [
    'Summary',
    table(['Scenario', 'Result', 'RTO measured', 'Data lost'], rows),
    ...(notes.length ? ['', ...notes] : []),
    '',
    verdict,
  ].join('\n');
}
