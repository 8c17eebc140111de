// Issue 8 part 5: `pgdr agent` runs restore drills on drill.schedule, and they land in the drill history that
// `pgdr drill history` reads. The built CLI against PostgreSQL 17 archiving through pgdr, and s3rver.
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type AgentProcess, startAgent } from '../helpers/agent-process.js';
import { switchWalAndWait } from '../helpers/barman-bucket.js';
import { PGDR_BIN, runPgdr } from '../helpers/cli.js';
import { loadRows, startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { type S3rverHandle, startS3rver } from '../helpers/s3rver.js';

const BUCKET = 'agentdrill';
const SERVER = 'pg17';

describe('pgdr agent runs drills on drill.schedule', () => {
  let s3: S3rverHandle;
  let pg: TestPostgres;
  let dir: string;
  let agent: AgentProcess | undefined;
  let configFile: string;

  before(async () => {
    s3 = await startS3rver({ buckets: [BUCKET] });
    dir = await mkdtemp(join(tmpdir(), 'pgdr-agent-drill-'));
    await chmod(dir, 0o755);
    await writeFile(join(dir, 'key-id'), s3.accessKeyId, { mode: 0o644 });
    await writeFile(join(dir, 'secret'), s3.secretAccessKey, { mode: 0o644 });
    configFile = join(dir, 'pgdr.yaml');
    const write = (connection: string, pgdata: string) =>
      writeFile(
        configFile,
        [
          `serverName: ${SERVER}`,
          // No backup falls due during the test: only the drills run.
          'schedule: "0 0 6 1 1 *"',
          'drill: { schedule: "*/4 * * * * *" }',
          'objectStore:',
          `  destinationPath: s3://${BUCKET}/pgdr`,
          `  endpointURL: ${s3.endpoint}`,
          '  s3Credentials:',
          `    accessKeyId: {file: ${join(dir, 'key-id')}}`,
          `    secretAccessKey: {file: ${join(dir, 'secret')}}`,
          '  data: {jobs: 2, immediateCheckpoint: true}',
          'postgres:',
          `  connection: ${connection}`,
          `  pgdata: ${pgdata}`,
          'agent:',
          '  listen: 127.0.0.1:0',
          `  stateFile: ${join(dir, 'state.json')}`,
          '',
        ].join('\n'),
        { mode: 0o644 },
      );
    await write('postgresql://localhost/postgres', '/nonexistent');
    pg = await startPostgres({
      major: 17,
      archiveCommand: `${process.execPath} ${PGDR_BIN} wal archive --config ${configFile} %p`,
    });
    await write(pg.connectionString, pg.pgdata);
    await loadRows({ db: pg, rows: 5_000 });
    const backup = await runPgdr(['backup', 'create', '--config', configFile]);
    assert.equal(backup.code, 0, backup.stderr);
    await loadRows({ db: pg, rows: 1_000 });
    await switchWalAndWait(pg);
  });
  after(async () => {
    await agent?.stop('SIGKILL');
    await pg?.cleanup();
    await s3?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a scheduled drill passes and shows in pgdr drill history', async () => {
    agent = startAgent(configFile, {});
    await agent.waitFor((e) => e.event === 'agent.start');
    const outcome = await agent.waitFor((e) => e.event === 'drill.passed' || e.event === 'drill.failed', {
      timeoutMs: 240_000,
    });
    assert.equal(outcome.event, 'drill.passed', `${outcome.msg}\n${agent.stderr()}`);
    assert.equal(await agent.stop('SIGTERM'), 0);
    const history = await runPgdr(['drill', 'history', '--format', 'json', '--config', configFile]);
    assert.equal(history.code, 0, history.stderr);
    const drills = (
      JSON.parse(history.stdout) as {
        drills: { result: string; target: { requested: string }; rtoMs: number }[];
      }
    ).drills;
    assert.ok(drills.length >= 1, history.stdout);
    assert.equal(drills.at(-1)?.result, 'pass', history.stdout);
    assert.equal(drills.at(-1)?.target.requested, 'latest');
    assert.ok((drills.at(-1)?.rtoMs ?? 0) > 0);
  });
});
