// What `pgdr status` shows of the agent: its state file, when there is one on this host.
import type { PgdrConfig } from '../config/types.js';
import { type AgentState, type JobRecord, readState, stateFilePath } from './state-file.js';

export interface AgentStatus {
  readonly stateFile: string;
  readonly state: AgentState;
}

export async function readAgentStatus(
  config: PgdrConfig,
  env: NodeJS.ProcessEnv,
): Promise<AgentStatus | undefined> {
  const stateFile = stateFilePath({
    configured: config.agent?.stateFile,
    serverName: config.serverName,
    env,
  });
  const state = await readState(stateFile);
  return state && state.serverName === config.serverName ? { stateFile, state } : undefined;
}

function job(name: string, r: JobRecord | undefined): string {
  if (!r) return `  ${name.padEnd(15)} never`;
  const id = r.backupId ? ` ${r.backupId}` : '';
  const deleted = r.deleted ? ` (${r.deleted.length} deleted)` : '';
  const why = r.error ? `: ${r.error.message}` : '';
  return `  ${name.padEnd(15)} ${r.result.toUpperCase()}${id}${deleted} at ${r.endedAt.replace(/\.\d{3}Z$/, 'Z')}${why}`;
}

export function agentStatusText(a: AgentStatus): string {
  const s = a.state;
  const lines = [
    `Agent:           ${s.agent} (pid ${s.pid} on ${s.host}, since ${s.startedAt.replace(/\.\d{3}Z$/, 'Z')}; ${a.stateFile})`,
    job('last backup', s.lastBackup),
    job('last retention', s.lastRetention),
    job('last drill', s.lastDrill),
  ];
  if (s.agent === 'running')
    lines.push(
      `  next backup     ${s.nextRuns.backup ?? '-'}`,
      ...(s.nextRuns.incremental !== undefined
        ? [`  next incremental ${s.nextRuns.incremental ?? '-'}`]
        : []),
      `  next retention  ${s.nextRuns.retention ?? '-'}`,
    );
  const err = s.lastErrors[s.lastErrors.length - 1];
  if (err) lines.push(`  last error      ${err.at} ${err.job} ${err.code}: ${err.message}`);
  return lines.join('\n');
}
