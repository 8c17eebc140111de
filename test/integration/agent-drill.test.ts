// Issue 8 part 5: `pgdr agent` runs restore drills on drill.schedule, and they land in the drill history that
// `pgdr drill history` reads. The built CLI against PostgreSQL 17 archiving through pgdr, and s3rver.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type AgentProcess, startAgent } from '../helpers/agent-process.js';
import { type AgentWorld, agentWorld } from '../helpers/agent-world.js';
import { switchWalAndWait } from '../helpers/barman-bucket.js';
import { runPgdr } from '../helpers/cli.js';
import { loadRows } from '../helpers/postgres.js';

describe('pgdr agent runs drills on drill.schedule', () => {
  let w: AgentWorld | undefined;
  let agent: AgentProcess | undefined;
  let configFile: string;

  before(async () => {
    w = await agentWorld({
      bucket: 'agentdrill',
      serverName: 'pg17',
      // No backup falls due during the test: only the drills run.
      schedules: ['schedule: "0 0 6 1 1 *"', 'drill: { schedule: "*/4 * * * * *" }'],
    });
    configFile = w.configFile;
    const pg = w.pg;
    await loadRows({ db: pg, rows: 5_000 });
    const backup = await runPgdr(['backup', 'create', '--config', configFile]);
    assert.equal(backup.code, 0, backup.stderr);
    await loadRows({ db: pg, rows: 1_000 });
    await switchWalAndWait(pg);
  });
  after(async () => {
    await agent?.stop('SIGKILL');
    await w?.cleanup();
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
