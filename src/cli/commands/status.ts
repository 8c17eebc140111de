import { agentStatusText, readAgentStatus } from '../../agent/status-section.js';
import { backupInfoKey } from '../../catalog/backup-catalog.js';
import type { BackupInfo } from '../../catalog/backup-info.js';
import { formatGaps } from '../../catalog/wal-gaps.js';
import { DURATION_SYNTAX, objectivesOf } from '../../config/objectives.js';
import { inspectServer, type StatusResult } from '../../engine/status.js';
import { newest, statusJson } from '../../engine/status-json.js';
import { FORMAT_FLAG, oneOf, parseFlagsOnly, STORE_FLAGS } from '../args.js';
import { configFrom, STORE_USAGE, withStore } from '../context.js';
import type { Command } from '../main.js';
import { age, isoSeconds, json, line, table } from '../output.js';

const NAME = 'status';

export const status: Command = {
  name: NAME,
  summary: 'what you could recover to right now: recovery window, gaps, newest backup and WAL (RPO)',
  usage: `Usage: pgdr status [--format table|json] [store options]

Reads the bucket only. Shows, per timeline, the recovery window (first point of recoverability to the last
archived WAL reachable without a gap), the gaps with the missing segments, the newest backup and its age, the
newest archived WAL and its age (the data you would lose if the primary died now), and a one-line verdict:
it warns when the newest WAL is older than objectives.rpo (default 6m) or the newest DONE backup older than
objectives.backupAge (default 26h), set in the configuration (objectives: { rpo: 5m, backupAge: 26h }).
${DURATION_SYNTAX}

${STORE_USAGE}`,
  async run(argv, ctx) {
    const p = parseFlagsOnly(argv, { ...STORE_FLAGS, ...FORMAT_FLAG }, NAME);
    const format = oneOf(p, 'format', ['table', 'json'] as const, 'table', NAME);
    const config = configFrom(p, ctx);
    const objectives = objectivesOf(config.objectives);
    const result = await withStore(config, (store) =>
      inspectServer({
        store,
        serverName: config.serverName,
        now: new Date(),
        maxWalAgeMs: objectives.rpoMs,
        maxBackupAgeMs: objectives.backupAgeMs,
        signal: ctx.signal,
      }),
    );
    // The agent's state file, when this host runs one: `agent` is null otherwise (added field, same JSON).
    const agent = await readAgentStatus(config, ctx.env);
    if (format === 'json')
      json(ctx, {
        ...statusJson(result),
        objectives,
        agent: agent ? { stateFile: agent.stateFile, ...agent.state } : null,
      });
    else line(ctx, agent ? `${statusText(result)}\n\n${agentStatusText(agent)}` : statusText(result));
    return 0;
  },
};

export function statusText(r: StatusResult): string {
  const now = r.now.getTime();
  const { backup, segment } = newest(r);
  const out: string[] = [`Server ${r.serverName} in ${r.destination}`, ''];
  const rows = r.report.timelines.map((t) => [
    String(t.timeline),
    t.window?.from ? isoSeconds(t.window.from.date) : '-',
    t.window?.fromBackupId ?? '-',
    t.window
      ? `${t.window.to.name} (${isoSeconds(t.window.to.lastModified)})`
      : t.lastSegment
        ? `${t.lastSegment.name} (no backup before it)`
        : '-',
    t.gaps.length ? `${t.missingCount} missing` : 'none',
  ]);
  out.push('Recovery window per timeline:');
  out.push(
    rows.length
      ? table(['TLI', 'From', 'Backup', 'To (last WAL reachable)', 'Gaps'], rows)
      : r.catalog.unreadable.length
        ? '  no WAL and no readable backup'
        : '  no WAL and no backup yet',
  );
  out.push('');
  out.push(
    backup
      ? `Newest backup:  ${backup.backupId}${backup.endTime ? `, ended ${age(now - backup.endTime.date.getTime())} ago` : ''} (${r.report.doneBackups.length} DONE of ${r.catalog.backups.length})`
      : `Newest backup:  none DONE (${r.catalog.backups.length} in the bucket${r.catalog.unreadable.length ? `, and ${r.catalog.unreadable.length} whose backup.info cannot be read` : ''})`,
  );
  const incs = (r.incrementals ?? []).filter((b) => b.status === 'DONE');
  if (incs.length > 0) out.push(...incrementalLines(r, incs[incs.length - 1]!, incs.length));
  out.push(
    segment
      ? `Newest WAL:     ${segment.name}${segment.partial ? ' (.partial)' : ''}, archived ${age(now - segment.lastModified.getTime())} ago — the RPO if the primary died now`
      : 'Newest WAL:     none archived',
  );
  for (const t of r.report.timelines) {
    if (!t.gaps.length) continue;
    out.push('', `Gaps on timeline ${t.timeline} (recovery cannot pass them):`);
    for (const g of formatGaps(t.gaps)) out.push(`  ${g}`);
  }
  for (const id of r.catalog.unreadable)
    out.push(
      `warning: backup ${id}: ${backupInfoKey(r.serverName, id)} cannot be read (${r.catalog.errors.get(id)})`,
    );
  out.push('', `Verdict: ${r.verdict.text}`);
  return out.join('\n');
}

/** The incrementals' line: how many, the newest with its parent, chain depth and level (and why file level). */
function incrementalLines(r: StatusResult, newestInc: BackupInfo, done: number): string[] {
  const v = r.incrementalViews?.find((x) => x.backupId === newestInc.backupId);
  const depth = v?.depth == null ? '' : `, chain depth ${v.depth}`;
  const level = v?.level == null ? '' : `, ${v.level} level`;
  const lines = [
    `Incrementals:   ${done} DONE (pgdr), newest ${newestInc.backupId} on ${newestInc.parentBackupId ?? '?'}${depth}${level}`,
  ];
  if (v?.fallbackReason != null) lines.push(`                (file level because ${v.fallbackReason})`);
  return lines;
}
