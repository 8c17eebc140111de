// The agent's small memory: what it last did and what it will do next. Read by `pgdr status` and by the agent's
// next start (to catch up once). Written whole through a rename, so a reader never sees half of it.

import { mkdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../common/atomic-file.js';

type JobResult = 'done' | 'failed' | 'aborted' | 'skipped';

export interface JobRecord {
  readonly result: JobResult;
  /** The fire time this run served (backups), for catch-up. */
  readonly scheduledFor?: string | undefined;
  readonly startedAt: string;
  readonly endedAt: string;
  readonly backupId?: string | undefined;
  /** A scheduled incremental found no parent and took a full backup. */
  readonly fullInsteadOfIncremental?: boolean | undefined;
  /** Backups deleted (retention). */
  readonly deleted?: readonly string[] | undefined;
  readonly error?: { readonly code: string; readonly message: string } | undefined;
}

export interface AgentError {
  readonly at: string;
  readonly job: string;
  readonly code: string;
  readonly message: string;
}

export interface AgentState {
  readonly version: 1;
  readonly serverName: string;
  readonly pid: number;
  readonly host: string;
  readonly startedAt: string;
  readonly updatedAt: string;
  /** `running` while the process lives; `stopped` after a clean shutdown. */
  readonly agent: 'running' | 'stopped';
  readonly lastBackup?: JobRecord | undefined;
  readonly lastRetention?: JobRecord | undefined;
  readonly lastDrill?: JobRecord | undefined;
  /** Newest last, at most MAX_ERRORS. */
  readonly lastErrors: readonly AgentError[];
  readonly nextRuns: {
    readonly backup: string | null;
    readonly retention: string | null;
    readonly drill: string | null;
    /** With agent.incrementalSchedule only. */
    readonly incremental?: string | null;
  };
}

export const MAX_ERRORS = 10;

/** Default: $XDG_STATE_HOME/pgdr/SERVER.agent.json (~/.local/state when unset), per server so configs never mix. */
export function stateFilePath(o: {
  readonly configured: string | undefined;
  readonly serverName: string;
  readonly env: NodeJS.ProcessEnv;
}): string {
  if (o.configured !== undefined) return o.configured;
  const base = o.env.XDG_STATE_HOME || join(o.env.HOME || homedir(), '.local', 'state');
  return join(base, 'pgdr', `${o.serverName}.agent.json`);
}

/** undefined when there is no state file; a file that cannot be parsed counts as none (it is rewritten). */
export async function readState(path: string): Promise<AgentState | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const v = JSON.parse(text) as AgentState;
    return v && v.version === 1 ? v : undefined;
  } catch {
    return undefined;
  }
}

export async function writeState(path: string, state: AgentState): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFileAtomic(path, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o644 });
}
