// `pgdr failback run --option keep`: the recovered (promoted) cluster stays the primary. Checks it is a
// primary archiving under its new serverName, writes its own pgdr configuration (so backups and the agent can
// never use the old primary's serverName) and takes its first base backup. The agent is a long-running
// process of its own: the result names the command that starts it rather than forking one.
import { promises as fsp } from 'node:fs';
import type { DataConfig } from '../../config/types.js';
import { PgdrError } from '../../errors.js';
import { shCommand } from '../../shell-quote.js';
import type { ObjectStore } from '../../storage/object-store.js';
import { createBackup } from '../backup/create-backup.js';
import { checkRecoveredPrimary } from './recovered-check.js';
import type { ReplicaState } from './replica-state.js';

export interface FailbackKeepOptions {
  readonly recovered: ReplicaState;
  readonly store: ObjectStore;
  readonly data: DataConfig;
  readonly schedule?: string | undefined;
  /** Where the recovered cluster's configuration is written. */
  readonly configFile: string;
  readonly signal?: AbortSignal | undefined;
}

export interface FailbackKeepResult {
  readonly serverName: string;
  readonly configFile: string;
  readonly backupId: string;
  readonly next: readonly string[];
}

export async function failbackKeep(o: FailbackKeepOptions): Promise<FailbackKeepResult> {
  const p = await checkRecoveredPrimary(o);
  const doc = JSON.parse(await fsp.readFile(p.configFile, 'utf8')) as {
    objectStore: Record<string, unknown>;
  };
  const out = {
    serverName: p.serverName,
    objectStore: { ...doc.objectStore, data: o.data },
    postgres: { connection: o.recovered.connectionString, pgdata: o.recovered.pgdata },
    ...(o.schedule ? { schedule: o.schedule } : {}),
  };
  const text = `${JSON.stringify(out, null, 2)}\n`;
  const existing = await fsp.readFile(o.configFile, 'utf8').catch(() => undefined);
  if (existing !== undefined && existing !== text) {
    throw new PgdrError('CONFLICT', `${o.configFile} exists with other content`, {
      hint: 'move it aside or pass another --write-config',
    });
  }
  await fsp.writeFile(o.configFile, text, { mode: 0o600 });
  const backup = await createBackup({
    store: o.store,
    serverName: p.serverName,
    connection: o.recovered.connectionString,
    pgdata: o.recovered.pgdata,
    compression: o.data.compression,
    jobs: o.data.jobs,
    immediateCheckpoint: true,
    signal: o.signal,
  });
  return {
    serverName: p.serverName,
    configFile: o.configFile,
    backupId: backup.backupId,
    next: [
      shCommand(['pgdr', 'agent', '--config', o.configFile]),
      shCommand(['pgdr', 'connections', '--config', o.configFile]),
    ],
  };
}
