// Scenario 2 of the runbook: an accidental deletion, undone by a point-in-time recovery to just before it.
import { DATABASE, REMOTE_STATUSES_SQL } from './mastodon-data.js';
import { PgdrRunner } from './pgdr-child.js';
import { connect, switchWalAndWait } from './primary.js';
import type { Scenario } from './scenario.js';

export interface RestoreJson {
  plan: { backupId: string; wal: { segments: number } };
  server: { connectionString: string } | null;
  confirmation: { state: string; timeline: number | null; lastReplayedTransaction: string | null } | null;
  stages: Array<{ name: string; status: string; durationMs: number }>;
}

/** The restore's RTO: the sum of its stages (plan, fetch, replay, promote). */
export const restoreRtoMs = (stages: RestoreJson['stages']): number =>
  stages.reduce((n, s) => n + s.durationMs, 0);

export function stagesText(stages: RestoreJson['stages']): string {
  const s = (ms: number, status: string) => (status === 'skip' ? '-' : `${(ms / 1000).toFixed(1)} s`);
  return stages.map((st) => `${st.name} ${s(st.durationMs, st.status)}`).join(', ');
}

const DELETE_SQL =
  'DELETE FROM statuses WHERE account_id IN (SELECT id FROM accounts WHERE domain IS NOT NULL)';

export const pitrScenario: Scenario = {
  id: 'pitr',
  title: 'Scenario 2: PITR after an accidental deletion',
  explanation:
    "An admin purging a spam domain forgets `AND domain = 'spam.example'`: every remote status is deleted. " +
    'pgdr restore recovers a copy of the database to the moment just before the DELETE.',
  async run(ctx) {
    const db = await connect(ctx.primary, DATABASE);
    let target: string;
    let deleted: number;
    try {
      const before = Number((await db.query<{ n: string }>(REMOTE_STATUSES_SQL)).rows[0]?.n);
      const now = `SELECT to_char(clock_timestamp() AT TIME ZONE 'utc', 'YYYY-MM-DD HH24:MI:SS.US') || '+00' AS t`;
      target = (await db.query<{ t: string }>(now)).rows[0]!.t;
      ctx.progress.fact(`${before} remote statuses; the time is ${target}`);
      ctx.progress.fact(`${DELETE_SQL};`);
      deleted = (await db.query(DELETE_SQL)).rowCount ?? 0;
      ctx.progress.fact(`${deleted} statuses deleted; the application keeps writing`);
      // The fault a test injects: a target after the deletion, which no verification may let through.
      if (ctx.fault === 'pitr') {
        target = (await db.query<{ t: string }>(now)).rows[0]!.t;
        // A commit after the target, so that recovery reaches it whatever the writer did meanwhile.
        await db.query('SELECT txid_current()');
      }
    } finally {
      await db.end().catch(() => undefined);
    }
    await ctx.progress.step('archiving the WAL that holds the DELETE', () =>
      switchWalAndWait(ctx.primary, ctx.signal),
    );
    ctx.servers.add(ctx.ws.pitr);
    const args = ['restore', ctx.ws.pitr, '--target-time', target, '--config', ctx.ws.config];
    ctx.progress.fact(PgdrRunner.show(args));
    const { value: r } = await ctx.progress.step(`restoring to ${target}`, () =>
      ctx.pgdr.json<RestoreJson>([...args, '--format', 'json']),
    );
    ctx.progress.fact(
      `backup ${r.plan.backupId} + ${r.plan.wal.segments} WAL segment(s): ${stagesText(r.stages)}`,
    );
    let back = 0;
    const restored = await ctx.connectTo(r.server?.connectionString ?? '', DATABASE);
    try {
      back = Number((await restored.query<{ n: string }>(REMOTE_STATUSES_SQL)).rows[0]?.n);
    } finally {
      await restored.end().catch(() => undefined);
    }
    ctx.progress.fact(`deleted rows back in the restored copy: ${back} of ${deleted}`);
    await ctx.progress.step('stopping the restored server', () => ctx.discard(ctx.ws.pitr));
    const passed = deleted > 0 && back === deleted;
    return {
      passed,
      rtoMs: restoreRtoMs(r.stages),
      dataLost: `${deleted - Math.min(back, deleted)} of ${deleted} deleted rows`,
      note: passed
        ? `deleted rows back: ${back} of ${deleted}`
        : `only ${back} of ${deleted} deleted rows are back`,
    };
  },
};
