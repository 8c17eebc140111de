// `pgdr agent` with agent.incrementalSchedule and no backup yet: the first scheduled incremental has nothing to
// start from, so it takes a full backup (logged as backup.full-instead, never a failed run), and the next one is
// an incremental on top of it. The built CLI against PostgreSQL 17 archiving through pgdr, and s3rver.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type AgentProcess, startAgent } from '../helpers/agent-process.js';
import { type AgentWorld, agentWorld } from '../helpers/agent-world.js';
import { runPgdr } from '../helpers/cli.js';
import { loadRows } from '../helpers/postgres.js';

describe('pgdr agent: a scheduled incremental with no parent takes a full backup', () => {
  let w: AgentWorld | undefined;
  let agent: AgentProcess | undefined;
  let configFile: string;

  before(async () => {
    w = await agentWorld({
      bucket: 'agentinc',
      serverName: 'pg17',
      // No full backup falls due during the test: only the incremental schedule runs.
      schedules: ['schedule: "0 0 6 1 1 *"'],
      agentLines: ['incrementalSchedule: "*/3 * * * * *"'],
    });
    configFile = w.configFile;
    await loadRows({ db: w.pg, rows: 5_000 });
  });
  after(async () => {
    await agent?.stop('SIGKILL');
    await w?.cleanup();
  });

  it('the first run is a full backup, recorded as such; the next is an incremental on it', async () => {
    agent = startAgent(configFile, {});
    await agent.waitFor((e) => e.event === 'agent.start');
    const ended = (from: number) =>
      agent!.waitFor((e) => e.event === 'backup.done' || e.event === 'backup.failed', {
        from,
        timeoutMs: 240_000,
      });
    const first = await ended(0);
    assert.equal(first.event, 'backup.done', `${first.msg}\n${agent.stderr()}`);
    const instead = agent.events.find((e) => e.event === 'backup.full-instead');
    assert.equal(instead?.backupId, first.backupId, JSON.stringify(agent.events));
    const second = await ended(agent.events.indexOf(first) + 1);
    assert.equal(second.event, 'backup.done', `${second.msg}\n${agent.stderr()}`);
    assert.equal(await agent.stop('SIGTERM'), 0);
    const list = await runPgdr(['backup', 'list', '--format', 'json', '--config', configFile]);
    assert.equal(list.code, 0, list.stderr);
    const j = JSON.parse(list.stdout) as {
      backups_list: { backup_id: string }[];
      pgdr_incrementals?: { backup_id: string; parent_backup_id: string }[];
    };
    assert.deepEqual(
      j.backups_list.map((b) => b.backup_id),
      [first.backupId],
    );
    assert.deepEqual(j.pgdr_incrementals?.[0], {
      ...j.pgdr_incrementals?.[0],
      backup_id: second.backupId,
      parent_backup_id: first.backupId,
    });
  });
});
