// The demo's last word: one row per scenario played (its step), with the RTO measured and the data lost, and
// the verdict the exit code follows.
import type { StepResult } from '../../common/steps.js';
import type { DemoResult } from '../../demo/run-demo.js';
import { seconds, stepsTable } from '../steps-text.js';

export function summaryText(r: Pick<DemoResult, 'steps' | 'results' | 'wallMs'>): string {
  const outcome = new Map(r.results.map((x) => [x.id, x]));
  const rto = (s: StepResult) => {
    const ms = outcome.get(s.name)?.rtoMs;
    return ms === null || ms === undefined ? '-' : seconds(ms);
  };
  const rows = stepsTable(r.steps, {
    head: ['Scenario', 'Result', 'Time'],
    label: (s) => s.title ?? s.name,
    status: (s) => (s.status === 'pass' ? 'passed' : 'FAILED'),
    columns: [
      ['RTO measured', rto],
      ['Data lost', (s) => outcome.get(s.name)?.dataLost ?? '-'],
    ],
  });
  const failed = r.steps.filter((s) => s.status !== 'pass');
  const notes = r.steps.filter((s) => s.detail !== '').map((s) => `  ${s.name}: ${s.detail}`);
  const verdict =
    failed.length === 0
      ? `All ${r.steps.length} scenarios passed in ${(r.wallMs / 1000).toFixed(0)} s.`
      : `${failed.length} of ${r.steps.length} scenarios FAILED: ${failed.map((s) => s.name).join(', ')}.`;
  return ['Summary', rows, ...(notes.length ? ['', ...notes] : []), '', verdict].join('\n');
}
