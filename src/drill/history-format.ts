// `pgdr drill history`: past drills newest first, and the RTO trend over the last passed drills.
import { table } from '../common/text-format.js';
import { msText } from './drill-format.js';
import type { HistoryEntry } from './drill-history.js';

const BARS = '▁▂▃▄▅▆▇█';

/** One character per value, oldest first, scaled between the smallest and largest. */
export function sparkline(values: readonly number[]): string {
  if (!values.length) return '';
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return values
    .map((v) => BARS[hi === lo ? 3 : Math.round(((v - lo) / (hi - lo)) * (BARS.length - 1))])
    .join('');
}

export interface RtoTrend {
  readonly drills: number;
  readonly minMs: number;
  readonly medianMs: number;
  readonly maxMs: number;
  readonly latestMs: number;
  readonly sparkline: string;
}

/** Over the last `n` drills with an RTO (newest-first entries in, trend oldest first). */
export function rtoTrend(entries: readonly HistoryEntry[], n = 20): RtoTrend | null {
  const values = entries
    .map((e) => e.report?.rtoMs)
    .filter((v): v is number => typeof v === 'number')
    .slice(0, n)
    .reverse();
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid]! : Math.round((sorted[mid - 1]! + sorted[mid]!) / 2);
  return {
    drills: values.length,
    minMs: sorted[0]!,
    medianMs: median,
    maxMs: sorted.at(-1)!,
    latestMs: values.at(-1)!,
    sparkline: sparkline(values),
  };
}

export function historyJson(entries: readonly HistoryEntry[]): Record<string, unknown> {
  return {
    drills: entries.map((e) =>
      e.report
        ? {
            key: e.key,
            id: e.report.id,
            result: e.report.result,
            scenario: e.report.scenario,
            target: e.report.target,
            backupId: e.report.backupId,
            failedStage: e.report.failedStage,
            rtoMs: e.report.rtoMs,
            rpoMs: e.report.rpoMs,
            startedAt: e.report.startedAt,
            finishedAt: e.report.finishedAt,
          }
        : { key: e.key, invalid: true, problem: e.problem },
    ),
    invalid: entries.filter((e) => !e.report).length,
    rtoTrend: rtoTrend(entries),
  };
}

export function historyText(entries: readonly HistoryEntry[], serverName: string): string {
  if (!entries.length) return `No drills recorded for ${serverName} yet (run: pgdr drill).`;
  const rows = entries.map((e) => {
    const r = e.report;
    if (!r) return [stampOf(e.key), 'INVALID', '', '', '', '', `${e.key}: ${e.problem ?? ''}`];
    const target = r.target.time ?? r.target.requested;
    return [
      r.startedAt.replace(/\.\d+Z$/, 'Z'),
      r.result.toUpperCase(),
      target,
      r.backupId ?? 'n/a',
      msText(r.rtoMs),
      msText(r.rpoMs),
      r.failedStage ? `failed at ${r.failedStage}` : '',
    ];
  });
  const t = rtoTrend(entries);
  const trend = t
    ? `RTO trend (last ${t.drills}, oldest first): ${t.sparkline}  min ${msText(t.minMs)}, median ${msText(t.medianMs)}, max ${msText(t.maxMs)}, latest ${msText(t.latestMs)}`
    : 'RTO trend: no drill got through every restore stage yet';
  const passed = entries.filter((e) => e.report?.result === 'pass').length;
  const failed = entries.filter((e) => e.report?.result === 'fail').length;
  const invalid = entries.length - passed - failed;
  const counts = `${passed} passed, ${failed} failed${invalid ? `, ${invalid} invalid report(s) skipped` : ''}`;
  return [
    `Drills of ${serverName}: ${entries.length} (${counts})`,
    '',
    table(['STARTED', 'RESULT', 'TARGET', 'BACKUP', 'RTO', 'RPO', 'NOTE'], rows),
    '',
    trend,
  ].join('\n');
}

/** The start time historyKey() put in front of an object's name, or '?' for a name pgdr did not make. */
function stampOf(key: string): string {
  const m = /\/(\d{8}T\d{6})Z-[^/]*$/.exec(key);
  if (!m) return '?';
  const d = m[1]!;
  return `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 11)}:${d.slice(11, 13)}:${d.slice(13, 15)}Z`;
}
