import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { failbackMarkdown, failbackPlan } from '../../src/engine/replica/failback-plan.js';
import type { ReplicaState } from '../../src/engine/replica/replica-state.js';
import { parseLog } from '../../src/engine/replica/server-log.js';
import { replicaVerdict } from '../../src/engine/replica/status-verdict.js';

const base = {
  inRecovery: true,
  failedRestores: new Map<number, number>(),
  receiverStreaming: false,
};

describe('replicaVerdict', () => {
  it('an idle primary: old last commit but nothing unreplayed is healthy with zero lag', () => {
    const v = replicaVerdict({ ...base, replaySegNo: 7, archivedSegNos: new Set([5, 6]), lagSeconds: 3600 });
    assert.equal(v.verdict, 'healthy');
    assert.equal(v.effectiveLagSeconds, 0);
  });
  it('several archived segments not replayed is lagging, with the real lag', () => {
    const v = replicaVerdict({
      ...base,
      replaySegNo: 4,
      archivedSegNos: new Set([4, 5, 6, 7]),
      lagSeconds: 40,
    });
    assert.equal(v.verdict, 'lagging');
    assert.equal(v.unreplayedSegments, 3);
    assert.equal(v.effectiveLagSeconds, 40);
  });
  it('a gap before later archived segments is stuck on the first missing one (boundary included)', () => {
    const v = replicaVerdict({
      ...base,
      replaySegNo: 5,
      archivedSegNos: new Set([3, 4, 6, 7]),
      lagSeconds: 1,
    });
    assert.equal(v.verdict, 'stuck');
    assert.equal(v.stuckSegNo, 5);
  });
  it('repeated restore failures of a segment the archive lists (corrupt) are stuck too', () => {
    const v = replicaVerdict({
      ...base,
      replaySegNo: 5,
      archivedSegNos: new Set([5, 6, 7]),
      failedRestores: new Map([[6, 4]]),
      lagSeconds: 1,
    });
    assert.equal(v.verdict, 'stuck');
    assert.equal(v.stuckSegNo, 6);
  });
  it('retrying the segment not archived yet is the normal tail, not stuck', () => {
    const v = replicaVerdict({
      ...base,
      replaySegNo: 7,
      archivedSegNos: new Set([5, 6]),
      failedRestores: new Map([[7, 50]]),
      lagSeconds: 9,
    });
    assert.equal(v.verdict, 'healthy');
  });
  it('a streaming standby is never stuck on the archive', () => {
    const v = replicaVerdict({
      ...base,
      receiverStreaming: true,
      replaySegNo: 5,
      archivedSegNos: new Set([6, 7]),
      lagSeconds: 0,
    });
    assert.notEqual(v.verdict, 'stuck');
  });
  it('a promoted server is not a standby', () => {
    assert.equal(
      replicaVerdict({
        ...base,
        inRecovery: false,
        replaySegNo: null,
        archivedSegNos: new Set(),
        lagSeconds: null,
      }).verdict,
      'not-standby',
    );
  });
});

describe('parseLog', () => {
  it('counts failures after the last restore and forgets older ones', () => {
    const text = [
      'pgdr: error: WAL file 000000010000000000000004 for server p does not exist',
      'LOG:  restored log file "000000010000000000000004" from archive',
      'pgdr: error: WAL file 000000010000000000000005 for server p does not exist',
      'pgdr: error: WAL file 00000002.history for server p does not exist',
      'pgdr: error: WAL file 000000010000000000000005 for server p does not exist',
    ].join('\n');
    const f = parseLog(text);
    assert.equal(f.lastRestored, '000000010000000000000004');
    assert.deepEqual([...f.failures], [['000000010000000000000005', 2]]);
  });
});

describe('failbackPlan', () => {
  const recovered = {
    pgdata: '/srv/standby',
    connectionString: 'postgresql://postgres@127.0.0.1:5433/postgres',
    pgCtl: '/usr/lib/postgresql/17/bin/pg_ctl',
    osUser: 'postgres',
    promoted: { at: '2026-01-01T00:00:00Z', timeline: 2, serverName: 'db-tl2', configFile: '/x' },
  } as unknown as ReplicaState;
  it('fills in both options with the real names, every step a command', () => {
    const plan = failbackPlan({
      serverName: 'db',
      destinationPath: 's3://b/p',
      configArg: 'pgdr.yaml',
      originalPgdata: '/srv/db',
      recovered,
      schedule: '0 0 6 * * *',
    });
    assert.deepEqual(
      plan.options.map((o) => o.option),
      ['keep', 'original'],
    );
    const keep = plan.options[0]!.steps.map((s) => s.command).join('\n');
    assert.match(keep, /pgdr backup create --config pgdr-db-tl2\.yaml/);
    assert.match(keep, /pgdr agent --config pgdr-db-tl2\.yaml/);
    const orig = plan.options[1]!.steps.map((s) => s.command).join('\n');
    assert.match(
      orig,
      /pgdr failback run --option original --config pgdr\.yaml --replica \/srv\/standby --target-dir \/srv\/db/,
    );
    assert.match(plan.options[1]!.steps.map((s) => s.why).join('\n'), /timelines before 3/);
    assert.match(
      orig,
      /^su postgres -s \/bin\/sh -c '\/usr\/lib\/postgresql\/17\/bin\/pg_ctl -D \/srv\/standby stop'$/m,
    );
    assert.ok(plan.options.every((o) => o.steps.every((s) => s.command.length > 0)));
    assert.match(failbackMarkdown(plan), /## Option 2 \(original\)/);
  });
  it('quotes every real path in its commands for sh', () => {
    const odd = "/srv/it's a standby";
    const plan = failbackPlan({
      serverName: 'db',
      destinationPath: 's3://b/p',
      configArg: '/etc/pgdr/my pgdr.yaml',
      originalPgdata: '/srv/db $HOME',
      recovered: { ...recovered, pgdata: odd },
      schedule: undefined,
    });
    const orig = plan.options[1]!.steps.map((s) => s.command);
    assert.ok(
      orig.includes(
        "pgdr failback run --option original --config '/etc/pgdr/my pgdr.yaml' --replica '/srv/it'\\''s a standby' --target-dir '/srv/db $HOME'",
      ),
      orig.join('\n'),
    );
  });
  it('says so when no promoted standby is known', () => {
    const plan = failbackPlan({
      serverName: 'db',
      destinationPath: 's3://b/p',
      configArg: 'pgdr.yaml',
      originalPgdata: undefined,
      recovered: undefined,
      schedule: undefined,
    });
    assert.equal(plan.recovered, null);
    assert.equal(plan.notes.length, 1);
    // Placeholders are never quoted: they are to be replaced, not pasted.
    assert.match(plan.options[1]!.steps[1]!.command, /--target-dir <original data folder>$/);
  });
});
