// The standbys pgdr created on this host, so that `pgdr connections` and `pgdr failback plan` find them
// without being told their folders: $XDG_STATE_HOME/pgdr/replicas.json (~/.local/state when unset), a list of
// data folders. Each folder's own pgdr-replica.json stays the truth; entries whose folder is gone are skipped.

import { promises as fsp } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../../common/atomic-file.js';
import { type ReplicaState, readReplicaState } from './replica-state.js';

function registryFile(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local', 'state');
  return join(base, 'pgdr', 'replicas.json');
}

async function readDirs(file: string): Promise<string[]> {
  try {
    const v = JSON.parse(await fsp.readFile(file, 'utf8')) as { dirs?: unknown };
    return Array.isArray(v.dirs) ? v.dirs.filter((d): d is string => typeof d === 'string') : [];
  } catch {
    return [];
  }
}

export async function registerReplica(env: NodeJS.ProcessEnv, dir: string): Promise<void> {
  const file = registryFile(env);
  const dirs = [...new Set([...(await readDirs(file)), dir])];
  await fsp.mkdir(dirname(file), { recursive: true });
  await writeFileAtomic(file, `${JSON.stringify({ dirs }, null, 2)}\n`, { mode: 0o644 });
}

/** The registered standbys (and promoted ones) of `serverName` (the archive they follow), newest first. */
export async function knownReplicas(env: NodeJS.ProcessEnv, serverName?: string): Promise<ReplicaState[]> {
  const out: ReplicaState[] = [];
  for (const dir of await readDirs(registryFile(env))) {
    const s = await readReplicaState(dir).catch(() => undefined);
    if (s && (serverName === undefined || s.serverName === serverName)) out.push(s);
  }
  return out.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}
