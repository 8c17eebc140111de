// Renders a drill report for people: a table for the terminal, Markdown for tickets and chat.
import { table } from '../common/text-format.js';
import { summaryText } from '../verify/amcheck-findings.js';
import type { DrillReport } from './drill-types.js';

export function msText(ms: number | null): string {
  if (ms === null) return 'n/a';
  return ms < 10_000 ? `${(ms / 1000).toFixed(2)}s` : `${Math.round(ms / 1000)}s`;
}

/** What a passed drill left unverified: a pass is never shown without it. */
function partialNote(r: DrillReport): string {
  const partial = r.verification?.partial;
  return r.result === 'pass' && partial ? ` (partial verification: ${partial})` : '';
}

function headline(r: DrillReport): string[] {
  const target = r.target.time === null ? r.target.requested : `${r.target.requested} (${r.target.time})`;
  const v = r.verification;
  return [
    `Result: ${r.result.toUpperCase()}${r.failedStage ? ` (failed at ${r.failedStage})` : partialNote(r)}`,
    ...(v ? [`Verified: ${summaryText(v)}${v.partial ? `; PARTIAL: ${v.partial}` : ''}`] : []),
    `Server: ${r.serverName} in ${r.destination}`,
    `Target: ${target}${r.target.reached === null ? '' : r.target.reached ? ', reached' : ', NOT reached'}`,
    `Backup: ${r.backupId ?? 'n/a'}`,
    `RTO: ${msText(r.rtoMs)} (plan + fetch + replay + promote + verify)`,
    `RPO: ${msText(r.rpoMs)} (newest archived WAL ${r.newestWalArchivedAt ?? 'n/a'} vs last replayed transaction ${r.lastReplayedTransaction ?? 'n/a'})`,
  ];
}

function footer(r: DrillReport): string[] {
  const out: string[] = [];
  if (r.historyKey) out.push(`Recorded: ${r.historyKey}`);
  if (r.historyProblem) out.push(`Not recorded in the history: ${r.historyProblem}`);
  if (r.notification) {
    out.push(
      `Notification to ${r.notification.url}: ${r.notification.ok ? 'sent' : 'FAILED'} (${r.notification.detail})`,
    );
  }
  return out;
}

export function drillText(r: DrillReport): string {
  const stages = table(
    ['STAGE', 'STATUS', 'DURATION', 'DETAIL'],
    r.stages.map((s) => [s.name, s.status.toUpperCase(), msText(s.durationMs), s.detail]),
  );
  const checks = r.checks.length
    ? table(
        ['CHECK', 'STATUS', 'FINDING'],
        r.checks.map((c) => [c.name, c.status.toUpperCase(), c.finding]),
      )
    : 'Checks: none ran';
  return [`Drill ${r.id} (${r.scenario})`, '', stages, '', checks, '', ...headline(r), ...footer(r)].join(
    '\n',
  );
}

const SCENARIO_TITLES: Record<DrillReport['scenario'], string> = {
  restore: 'Restore',
  replica: 'Replica',
  kubernetes: 'Kubernetes',
};

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function drillMarkdown(r: DrillReport): string {
  const icon = r.result === 'pass' ? '✅' : '❌';
  return [
    `## ${icon} ${SCENARIO_TITLES[r.scenario]} drill ${r.result.toUpperCase()}: ${r.serverName}`,
    '',
    ...headline(r).map((l) => `- ${l}`),
    `- Started: ${r.startedAt}, finished: ${r.finishedAt}`,
    '',
    '### Stages',
    '',
    '| Stage | Status | Duration | Detail |',
    '|---|---|---:|---|',
    ...r.stages.map((s) => `| ${s.name} | ${s.status} | ${msText(s.durationMs)} | ${cell(s.detail)} |`),
    '',
    '### Checks',
    '',
    ...(r.checks.length
      ? [
          '| Check | Status | Finding |',
          '|---|---|---|',
          ...r.checks.map((c) => `| ${c.name} | ${c.status} | ${cell(c.finding)} |`),
        ]
      : ['No verification checks ran.']),
    ...(footer(r).length ? ['', ...footer(r).map((l) => `- ${l}`)] : []),
  ].join('\n');
}

/** One line for chat webhooks (Slack and Mattermost show `text`), logs and the agent's status. */
export function drillSummary(r: DrillReport): string {
  if (r.result === 'pass') {
    return `pgdr drill PASS on ${r.serverName}: restored ${r.backupId ?? '?'} to ${r.target.time ?? r.target.requested}, RTO ${msText(r.rtoMs)}, RPO ${msText(r.rpoMs)}, ${r.checks.length} checks${partialNote(r)}`;
  }
  const failed = r.stages.find((s) => s.status === 'fail');
  return `pgdr drill FAIL on ${r.serverName}: ${r.failedStage ?? '?'} failed: ${failed?.detail ?? 'no stage passed'}`;
}
