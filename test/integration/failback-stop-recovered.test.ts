// `pgdr failback run --option original --stop-recovered` on PostgreSQL 17: the same failback as
// failback-original.test.ts, asked to stop the recovered cluster once the new one is verified. That cluster
// must be stopped (cleanly: pg_ctl reports no server), the step timed, and the new cluster must hold every row.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { countRows as count, type FailbackScenario, failbackScenario } from '../helpers/failback-scenario.js';
import { q } from '../helpers/poll.js';

describe('pgdr failback run --option original --stop-recovered (PostgreSQL 17, s3rver)', () => {
  let sc: FailbackScenario;

  before(async () => {
    sc = await failbackScenario({ bucket: 'pgdrfbstop', serverName: 'prim', upTo: 180 });
  });
  after(async () => {
    await sc?.cleanup();
  });

  it('stops the recovered cluster after the new one is verified, and says so', async () => {
    // The region is lost: the old primary is gone, the standby is promoted and written to.
    const { pgdr, standby } = sc;
    await sc.primary.stop();
    const p = await pgdr(['replica', 'promote', standby.pgdata, '--yes', '--format', 'json']);
    assert.equal(p.code, 0, p.stderr);
    await q(standby.connectionString, 'INSERT INTO t SELECT generate_series(1000, 1019)');
    const want = await count(standby.connectionString);
    assert.equal(want, 200);

    const r = await pgdr(
      [
        'failback',
        'run',
        '--option',
        'original',
        '--target-dir',
        sc.target,
        '--yes',
        '--stop-recovered',
        '--format',
        'json',
      ],
      sc.full,
    );
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(
      out.steps.map((s: { step: string }) => s.step),
      ['backup', 'restore', 'archive', 'base-backup', 'verify', 'stop-recovered'],
    );
    assert.equal(out.recoveredStopped, true);
    assert.deepEqual(out.rows.differing, []);
    assert.equal(await count(out.connectionString), want, 'every row in the new cluster');
    // Stopped cleanly: no postmaster.pid left, and connections are refused.
    assert.ok(!existsSync(join(standby.pgdata, 'postmaster.pid')), 'the recovered cluster is stopped');
    await assert.rejects(count(standby.connectionString), { code: 'ECONNREFUSED' });
    assert.ok(
      out.next.some((n: string) => /is stopped; remove it once the new cluster has run for a while/.test(n)),
      JSON.stringify(out.next),
    );
  });
});
