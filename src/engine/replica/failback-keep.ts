// `pgdr failback run --option keep`: the recovered (promoted) cluster stays the primary. Checks it is a
// primary archiving under its new serverName, writes its own pgdr configuration (so backups and the agent can
// never use the old primary's serverName) and takes its first base backup. The agent is a long-running
// process of its own: the result names the command that starts it rather than forking one.
import { promises as fsp } from 'node:fs';
import pg from 'pg';
import { listWal } from '../../catalog/wal-catalog.js';
import type { DataConfig } from '../../config/types.js';
import { PgdrError } from '../../errors.js';
import type { ObjectStore } from '../../storage/object-store.js';
import { createBackup } from '../backup/create-backup.js';
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
  const p = o.recovered.promoted;
  if (p === undefined) {
    throw new PgdrError(
      'NOT_STANDBY',
      `${o.recovered.pgdata} was never promoted: there is no recovered cluster to keep`,
      {
        hint: `pgdr replica promote ${o.recovered.pgdata}`,
      },
    );
  }
  const client = new pg.Client({ connectionString: o.recovered.connectionString });
  await client.connect().catch((e: unknown) => {
    throw new PgdrError(
      'POSTGRES_UNREACHABLE',
      `cannot connect to the recovered cluster (${o.recovered.connectionString})`,
      { cause: e },
    );
  });
  try {
    const [row] = (
      await client.query<{ r: boolean; c: string }>(
        `SELECT pg_is_in_recovery() AS r, current_setting('archive_command') AS c`,
      )
    ).rows;
    if (row?.r !== false)
      throw new PgdrError('NOT_STANDBY', 'the recovered cluster is in recovery: it is not a primary');
    if (!row.c.includes(p.configFile)) {
      throw new PgdrError(
        'REFUSED',
        `the recovered cluster no longer archives with ${p.configFile} (archive_command is '${row.c}')`,
        {
          hint: `archive_command must write to serverName ${p.serverName} before it gets backups of its own`,
        },
      );
    }
  } finally {
    await client.end().catch(() => undefined);
  }
  const wal = await listWal(o.store, p.serverName, { signal: o.signal });
  if (!wal.objects.some((w) => w.kind === 'history' && w.timeline === p.timeline)) {
    throw new PgdrError(
      'WAL_MISSING',
      `the archive of ${p.serverName} lacks the history file of timeline ${p.timeline}`,
      {
        hint: 'check archiving of the recovered cluster (pgdr status) before backing it up',
      },
    );
  }
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
    next: [`pgdr agent --config ${o.configFile}`, `pgdr connections --config ${o.configFile}`],
  };
}
