// What `pgdr replica create` leaves in the data folder so that status, promote and `pgdr connections` need
// only DIR: where the standby listens, how to stop it, which archive it follows and, once promoted, where it
// archives now. No secrets: credentials stay in the restore folder's files (recovery-config.ts) until the
// promotion, then beside the data folder (archive-config.ts).
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { isPgdrError, localFileError, PgdrError } from '../../errors.js';
import type { RunningServer } from '../restore/restore.js';

const REPLICA_STATE_FILE = 'pgdr-replica.json';

export interface ReplicaPromotion {
  readonly at: string;
  readonly timeline: number;
  /** The serverName the promoted server archives to. */
  readonly serverName: string;
  /** The pgdr configuration its archive_command reads. */
  readonly configFile: string;
}

/** Set by `pgdr failback run --option original`: the cluster that took the original serverName back. */
interface ReplicaFailback {
  readonly at: string;
  readonly serverName: string;
  readonly timeline: number;
  readonly pgdata: string;
  readonly connectionString: string;
}

/** The standby as restore() left it running (how to reach and stop it), and what it follows. */
export interface ReplicaState extends Omit<RunningServer, 'startSettings'> {
  /** The server whose archive the standby follows. */
  readonly serverName: string;
  readonly destinationPath: string;
  readonly backupId: string;
  readonly major: number;
  readonly primaryConninfo: string | null;
  readonly minApplyDelay: string | null;
  readonly createdAt: string;
  readonly promoted?: ReplicaPromotion | undefined;
  readonly failedBack?: ReplicaFailback | undefined;
}

export function replicaStateFile(dir: string): string {
  return join(dir, REPLICA_STATE_FILE);
}

/** The state of DIR, or undefined when DIR holds none (not made by `pgdr replica create`). */
export async function readReplicaState(dir: string): Promise<ReplicaState | undefined> {
  let text: string;
  try {
    text = await fsp.readFile(replicaStateFile(dir), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw localFileError(e, replicaStateFile(dir), 'read');
  }
  try {
    return JSON.parse(text) as ReplicaState;
  } catch (e) {
    throw new PgdrError('CONFIG_INVALID', `cannot read ${replicaStateFile(dir)}: ${(e as Error).message}`, {
      cause: e,
    });
  }
}

export async function writeReplicaState(dir: string, state: ReplicaState): Promise<void> {
  // Written as us but read by nobody else: 0644 lets the server user's backups copy it harmlessly.
  await fsp.writeFile(replicaStateFile(dir), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o644 });
}

/** DIR must exist: a typo must not look like "no replica here". */
export async function assertDataDir(dir: string): Promise<void> {
  try {
    const st = await fsp.stat(dir);
    if (!st.isDirectory()) throw new PgdrError('NOT_FOUND', `${dir} is not a folder`);
  } catch (e) {
    if (isPgdrError(e)) throw e;
    throw new PgdrError('NOT_FOUND', `data folder ${dir} does not exist`, {
      hint: 'pass the DIR given to pgdr replica create',
    });
  }
}
