// `pgdr agent` with agent.incrementalSchedule and no backup yet: the first scheduled incremental has nothing to
// start from, so it takes a full backup (logged as backup.full-instead, never a failed run), and the next one is
// an incremental on top of it. Then, with full backups every 6 s and incrementals every 3 s, a time both fall on
// runs the full backup only. The built CLI against PostgreSQL 17 archiving through pgdr, and s3rver.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
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

  it('a time both schedules fall on runs one full backup, not also an incremental', async () => {
    const both = join(w!.dir, 'both.yaml');
    const text = await readFile(configFile, 'utf8');
    assert.ok(text.includes('schedule: "0 0 6 1 1 *"'));
    await writeFile(both, text.replace('schedule: "0 0 6 1 1 *"', 'schedule: "*/6 * * * * *"'), {
      mode: 0o644,
    });
    agent = startAgent(both, {});
    await agent.waitFor((e) => e.event === 'agent.start');
    const fulls = () =>
      agent!.events.filter((e) => e.event === 'backup.scheduled' && e.incremental === false);
    // Two full backups, and the incrementals between them; the second full backup ends DONE.
    await agent.waitFor(() => fulls().length >= 2, { timeoutMs: 240_000 });
    const second = fulls()[1]!;
    const end = await agent.waitFor((e) => e.event === 'backup.done' || e.event === 'backup.failed', {
      from: agent.events.indexOf(second) + 1,
      timeoutMs: 240_000,
    });
    assert.equal(end.event, 'backup.done', `${end.msg}\n${agent.stderr()}`);
    const seen = agent.events.slice(0, agent.events.indexOf(end) + 1);
    const state = JSON.parse(await readFile(join(w!.dir, 'state.json'), 'utf8'));
    assert.match(String(state.nextRuns.incremental), /^\d{4}-\d\d-\d\dT/, JSON.stringify(state.nextRuns));
    assert.equal(await agent.stop('SIGTERM'), 0);
    const scheduled = seen.filter((e) => e.event === 'backup.scheduled');
    const at = (incremental: boolean) =>
      scheduled.filter((e) => e.incremental === incremental).map((e) => String(e.scheduledFor));
    const full = at(false);
    assert.equal(full.length, 2, JSON.stringify(scheduled));
    // Every full backup's time is also an incremental time (multiples of 6 s are of 3 s): none ran for it.
    for (const t of full) assert.equal(new Date(t).getUTCSeconds() % 6, 0, t);
    assert.deepEqual(
      at(true).filter((t) => full.includes(t)),
      [],
      JSON.stringify(scheduled),
    );
    assert.equal(new Set(scheduled.map((e) => String(e.scheduledFor))).size, scheduled.length);
    assert.deepEqual(
      seen.filter((e) => e.event === 'backup.failed'),
      [],
      agent.stderr(),
    );
  });
});
