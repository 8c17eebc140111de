// Runs `pgdr restore` as a user would and hands back its JSON, plus a way to query and stop the server it left
// running (restored servers outlive the command by design, so tests must stop them).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { resolveServerUser, runAsServerUser } from '../../src/postgres/os-user.js';
import type { S3Endpoint } from './barman.js';
import { type CliResult, runPgdr, s3Args, s3Env } from './cli.js';
import { assertStableCommands } from './stable-commands.js';

export interface RestoreJson {
  readonly dir: string;
  readonly plan: {
    readonly backupId: string;
    readonly timeline: number;
    readonly wal: { from: string; to: string; segments: number };
    readonly tars: ReadonlyArray<{ key: string; compression: string }>;
    readonly [k: string]: unknown;
  };
  readonly server: { port: number; pgCtl: string; pgdata: string; connectionString: string } | null;
  readonly confirmation: { state: string; timeline: number | null; replayLsn: string | null } | null;
  readonly timings: Record<string, number | null>;
  readonly [k: string]: unknown;
}

export interface S3Target {
  readonly endpoint: string;
  readonly destination: string;
  readonly serverName: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** A server's folder in an s3rver bucket, reached at `endpoint` (s3rver's own, or a proxy's in front of it). */
export function s3Target(
  s3: S3Endpoint,
  destination: string,
  serverName: string,
  endpoint = s3.endpoint,
): S3Target {
  const { accessKeyId, secretAccessKey } = s3;
  return { endpoint, destination, serverName, accessKeyId, secretAccessKey };
}

export type StoreTarget =
  | S3Target
  | {
      /** Azure (Azurite): the emulator form of the destination and the connection string pgdr reads from the environment. */
      readonly destination: string;
      readonly serverName: string;
      readonly azureConnectionString: string;
    };

/** The flags and environment that point pgdr at the target's store. */
export function storeFlags(t: StoreTarget): { args: string[]; env: NodeJS.ProcessEnv } {
  if ('azureConnectionString' in t) {
    return {
      args: ['--destination-path', t.destination, '--server-name', t.serverName],
      env: { AZURE_STORAGE_CONNECTION_STRING: t.azureConnectionString },
    };
  }
  return { args: s3Args(t), env: s3Env(t) };
}

const started: Array<{ pgCtl: string; pgdata: string }> = [];

export async function pgdrRestore(
  t: StoreTarget,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<CliResult & { json: RestoreJson | undefined }> {
  const store = storeFlags(t);
  const r = await runPgdr(['restore', ...args, ...store.args, '--format', 'json'], {
    env: { ...store.env, ...env },
    timeoutMs: 300_000,
  });
  let json: RestoreJson | undefined;
  if (r.code === 0) {
    json = JSON.parse(r.stdout) as RestoreJson;
    if (json.server) started.push({ pgCtl: json.server.pgCtl, pgdata: json.server.pgdata });
    if (!args.includes('--plan'))
      assert.ok((await assertStableCommands(json.dir)).length > 0, 'a restore_command');
  }
  return { ...r, json };
}

export async function queryRestored<R extends pg.QueryResultRow>(
  json: RestoreJson,
  sql: string,
): Promise<R[]> {
  const client = new pg.Client({ connectionString: json.server!.connectionString });
  await client.connect();
  try {
    return (await client.query<R>(sql)).rows;
  } finally {
    await client.end();
  }
}

export async function stopPgCtl(pgCtl: string, pgdata: string): Promise<void> {
  if (!existsSync(pgdata)) return;
  const user = await resolveServerUser();
  await runAsServerUser({ file: pgCtl, args: ['stop', '-D', pgdata, '-m', 'fast', '-w', '-t', '60'], user });
}

export async function stopAllRestored(): Promise<void> {
  for (const s of started.splice(0)) await stopPgCtl(s.pgCtl, s.pgdata).catch(() => undefined);
}

/**
 * A restore to the end of the archive ended with a fast promotion (restore.ts: a standby asked to promote):
 * no end-of-recovery checkpoint waited for, and no signal or request file left in the data folder.
 */
export async function assertFastPromotion(json: RestoreJson): Promise<void> {
  const log = await readFile(join(json.dir, 'log', 'pgdr-restore.log'), 'utf8');
  assert.match(log, /received promote request/, 'promoted on request');
  assert.doesNotMatch(log, /checkpoint starting: end-of-recovery/, 'no end-of-recovery checkpoint');
  for (const f of ['standby.signal', 'recovery.signal', 'promote']) {
    assert.ok(!existsSync(join(json.dir, f)), `${f} is gone`);
  }
}

/** The files under `dir` (links not followed) whose bytes hold `secret`: none may, once a server is promoted. */
export async function filesHolding(dir: string, secret: string): Promise<string[]> {
  const needle = Buffer.from(secret);
  const found: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile() && (await readFile(p).catch(() => Buffer.alloc(0))).includes(needle)) found.push(p);
    }
  };
  if ((await lstat(dir)).isDirectory()) await walk(dir);
  return found;
}

/** A delta restore's `delta` (restore's JSON result, and failback run --option original's). */
export interface DeltaJson {
  keptFiles: number;
  fetchedFiles: number;
  removedFiles: number;
  bytesWritten: number;
  fetchedTars: number;
  skippedTars: number;
}
