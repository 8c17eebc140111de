// One PostgreSQL 17 archiving through `pgdr wal archive` to s3rver, and the pgdr config file an agent test runs
// with: the schedule lines vary by test, the rest is the same.
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGDR_BIN } from './cli.js';
import { startPostgres, type TestPostgres } from './postgres.js';
import { type S3rverHandle, startS3rver } from './s3rver.js';
import { s3StoreLines } from './server-config.js';

export interface AgentWorld {
  readonly s3: S3rverHandle;
  readonly pg: TestPostgres;
  readonly dir: string;
  readonly configFile: string;
  cleanup(): Promise<void>;
}

/** `schedules`: the top-level lines (schedule, drill); `agentLines`: more lines under `agent:`. */
export async function agentWorld(o: {
  bucket: string;
  serverName: string;
  schedules: readonly string[];
  agentLines?: readonly string[];
}): Promise<AgentWorld> {
  const s3 = await startS3rver({ buckets: [o.bucket] });
  const dir = await mkdtemp(join(tmpdir(), 'pgdr-agent-'));
  await chmod(dir, 0o755);
  const storeLines = await s3StoreLines(s3, `s3://${o.bucket}/pgdr`, dir);
  const configFile = join(dir, 'pgdr.yaml');
  const write = (connection: string, pgdata: string) =>
    writeFile(
      configFile,
      [
        `serverName: ${o.serverName}`,
        ...o.schedules,
        'objectStore:',
        ...storeLines,
        '  data: {jobs: 2, immediateCheckpoint: true}',
        'postgres:',
        `  connection: ${connection}`,
        `  pgdata: ${pgdata}`,
        'agent:',
        '  listen: 127.0.0.1:0',
        `  stateFile: ${join(dir, 'state.json')}`,
        ...(o.agentLines ?? []).map((l) => `  ${l}`),
        '',
      ].join('\n'),
      { mode: 0o644 },
    );
  // The archive_command reads the config before the server's connection is known.
  await write('postgresql://localhost/postgres', '/nonexistent');
  const pg = await startPostgres({
    major: 17,
    archiveCommand: `${process.execPath} ${PGDR_BIN} wal archive --config ${configFile} %p`,
  }).catch(async (e: unknown) => {
    await s3.stop();
    await rm(dir, { recursive: true, force: true });
    throw e;
  });
  await write(pg.connectionString, pg.pgdata);
  return {
    s3,
    pg,
    dir,
    configFile,
    async cleanup() {
      await pg.cleanup();
      await s3.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
