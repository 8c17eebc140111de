// Scenario 3 of the runbook: the whole cluster is lost and no standby exists; recover the latest state from
// the bucket alone (base backup + every archived WAL segment).
import { DATABASE } from './mastodon-data.js';
import { PgdrRunner } from './pgdr-child.js';
import { checkArchivedRows, lostText } from './primary-loss.js';
import type { Scenario } from './scenario.js';
import { type RestoreJson, restoreRtoMs, stagesText } from './scenario-pitr.js';

export const latestScenario: Scenario = {
  id: 'latest',
  title: 'Scenario 3: latest recovery after losing the primary',
  explanation:
    'The cluster is gone and there is no standby: pgdr restore with no target replays every archived WAL ' +
    'segment onto the newest backup. Everything archived must be back; only unarchived WAL is lost.',
  async run(ctx) {
    const loss = await ctx.progress.step('making sure the primary is lost', () => ctx.losePrimary());
    ctx.progress.fact(
      `${loss.committedRows} rows committed by the application, ${loss.archivedRows} of them in archived WAL`,
    );
    ctx.servers.add(ctx.ws.latest);
    const args = ['restore', ctx.ws.latest, '--config', ctx.ws.config];
    ctx.progress.fact(PgdrRunner.show(args));
    const { value: r } = await ctx.progress.step('restoring the latest state', () =>
      ctx.pgdr.json<RestoreJson>([...args, '--format', 'json']),
    );
    ctx.progress.fact(
      `backup ${r.plan.backupId} + ${r.plan.wal.segments} WAL segment(s): ${stagesText(r.stages)}`,
    );
    const db = await ctx.connectTo(r.server?.connectionString ?? '', DATABASE);
    let check: Awaited<ReturnType<typeof checkArchivedRows>>;
    let counts: { accounts: number; users: number };
    try {
      check = await checkArchivedRows(db, loss, ctx.baselineStatusId);
      const row = (
        await db.query<{ a: string; u: string }>(
          'SELECT (SELECT count(*) FROM accounts) AS a, (SELECT count(*) FROM users) AS u',
        )
      ).rows[0];
      counts = { accounts: Number(row?.a), users: Number(row?.u) };
    } finally {
      await db.end().catch(() => undefined);
    }
    ctx.progress.fact(`${check.text}; ${counts.accounts} accounts, ${counts.users} users`);
    await ctx.progress.step('stopping the restored server', () => ctx.discard(ctx.ws.latest));
    const countsOk = counts.accounts === ctx.volumes.accounts && counts.users === ctx.volumes.localAccounts;
    const passed = check.passed && countsOk;
    return {
      passed,
      rtoMs: restoreRtoMs(r.stages),
      dataLost: lostText(check.lost, loss),
      note: passed ? undefined : countsOk ? check.text : 'accounts or users are missing',
    };
  },
};
