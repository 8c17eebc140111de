// The drill history (drill/drill-history.ts) as the dashboard shows it: results, RTO per stage, the trend.
// Only what is safe to show: a report's webhook URL and kept connection string are left out. Reports that
// drill-history.ts found invalid are listed apart, by object key, and counted (pgdr_drill_reports_invalid).
import type { HistoryEntry } from '../drill/drill-history.js';
import { rtoTrend } from '../drill/history-format.js';
import type { DashboardState, DrillView } from './dashboard-types.js';

export function drillsView(entries: readonly HistoryEntry[]): Omit<DashboardState['drills'], 'error'> {
  const views: DrillView[] = [];
  const invalid: Array<{ key: string; problem: string }> = [];
  for (const e of entries) {
    const r = e.report;
    if (!r) {
      invalid.push({ key: e.key, problem: e.problem ?? 'invalid' });
      continue;
    }
    const failed = r.failedStage ? r.stages.find((s) => s.name === r.failedStage) : undefined;
    views.push({
      id: r.id,
      result: r.result === 'pass' ? 'pass' : 'fail',
      scenario: r.scenario ?? 'restore',
      target: r.target?.time ?? r.target?.requested ?? 'latest',
      backupId: r.backupId ?? null,
      startedAt: r.startedAt,
      finishedAt: r.finishedAt,
      rtoMs: typeof r.rtoMs === 'number' ? r.rtoMs : null,
      rpoMs: typeof r.rpoMs === 'number' ? r.rpoMs : null,
      failedStage: r.failedStage ?? null,
      failure: failed?.detail ?? null,
      stages: r.stages.map((s) => ({ name: s.name, status: s.status, durationMs: s.durationMs })),
    });
  }
  return { entries: views, unreadable: invalid.length, invalid, rtoTrend: rtoTrend(entries) };
}
