// Scenario 1 of the runbook: a hot standby follows the bucket, the primary's region fails, the standby is
// promoted and archives its new timeline under a new serverName.
import { DATABASE } from './mastodon-data.js';
import { PgdrRunner } from './pgdr-child.js';
import { checkArchivedRows, lostText } from './primary-loss.js';
import type { DemoContext, Scenario } from './scenario.js';

interface ReplicaStatusJson {
  verdict: 'healthy' | 'lagging' | 'stuck' | 'not-standby';
  reason: string;
  lagSeconds: number | null;
  lagBytes: number | null;
  unreplayedSegments: number;
  newestArchivedSegment: string | null;
  lastRestoredSegment: string | null;
}

interface PromoteJson {
  before: ReplicaStatusJson;
  timeline: number;
  newServerName: string;
  historyArchived: boolean;
}

const CATCH_UP_MS = 180_000;
/** Long enough to see the lag move with archive_timeout, short enough for the demo. */
const WATCH_SECONDS = 6;

export const failoverScenario: Scenario = {
  id: 'failover',
  title: 'Scenario 1: hot standby, primary lost, promotion',
  explanation:
    "A hot standby in another region follows the bucket (pgdr replica create). Then the primary's region " +
    'fails: pgdr replica promote shows the lag and promotes; the new primary archives under a new serverName.',
  async run(ctx) {
    ctx.servers.add(ctx.ws.standby);
    const create = ['replica', 'create', ctx.ws.standby, '--config', ctx.ws.config];
    ctx.progress.fact(PgdrRunner.show(create));
    const { value: standby } = await ctx.progress.step('restoring the latest backup as a hot standby', () =>
      ctx.pgdr.json<{ connectionString: string; port: number }>([...create, '--format', 'json']),
    );
    const statusArgs = ['replica', 'status', ctx.ws.standby, '--config', ctx.ws.config];
    ctx.progress.fact(PgdrRunner.show(statusArgs));
    const first = await replicaStatus(ctx, statusArgs);
    ctx.progress.fact(`lag right after start: ${lagText(first)} (${first.verdict})`);
    const caughtUp = await ctx.progress.step('standby catching up with the archive while writes go on', (u) =>
      follow(ctx, statusArgs, u, { done: (s) => s.verdict === 'healthy' }),
    );
    ctx.progress.fact(`lag: ${lagText(caughtUp)} (${caughtUp.verdict}: ${caughtUp.reason})`);
    const watched = await ctx.progress.step(`${WATCH_SECONDS} s of writes while the standby follows`, (u) =>
      follow(ctx, statusArgs, u, { forMs: WATCH_SECONDS * 1000 }),
    );
    ctx.progress.fact(`lag: ${lagText(watched)} (${watched.verdict})`);

    const loss = await ctx.progress.step(
      'losing the primary (pg_ctl stop -m immediate, writes in flight)',
      () => ctx.losePrimary(),
    );
    ctx.progress.fact(
      `primary gone; last archived WAL ${loss.lastArchivedWal ?? 'none'}; ${loss.committedRows - loss.archivedRows} committed row(s) were in WAL not archived yet`,
    );
    const ready = await ctx.progress.step('standby replaying the last archived WAL', (u) =>
      follow(ctx, statusArgs, u, { done: (s) => s.verdict === 'healthy' && s.unreplayedSegments === 0 }),
    );
    const promote = ['replica', 'promote', ctx.ws.standby, '--yes', '--config', ctx.ws.config];
    ctx.progress.fact(PgdrRunner.show(promote));
    const { value: p } = await ctx.progress.step('promoting the standby', () =>
      ctx.pgdr.json<PromoteJson>([...promote, '--format', 'json']),
    );
    const rtoMs = Date.now() - loss.at;
    ctx.progress.fact(
      `lag at promotion: ${lagText(p.before)}; now timeline ${p.timeline}, archiving to serverName ${p.newServerName}` +
        (p.historyArchived ? ' (history file archived)' : ''),
    );
    const db = await ctx.connectTo(standby.connectionString, DATABASE);
    let check: Awaited<ReturnType<typeof checkArchivedRows>>;
    let writable = false;
    try {
      check = await checkArchivedRows(db, loss, ctx.baselineStatusId);
      const ins = await db.query(
        `INSERT INTO statuses (text, created_at, updated_at, account_id, local)
         VALUES ('first toot after the failover', now() AT TIME ZONE 'utc', now() AT TIME ZONE 'utc', 1, true)`,
      );
      writable = ins.rowCount === 1;
    } finally {
      await db.end().catch(() => undefined);
    }
    ctx.progress.fact(`${check.text}; writes accepted: ${writable ? 'yes' : 'no'}`);
    await ctx.progress.step('stopping the promoted server', () => ctx.discard(ctx.ws.standby));
    const passed = check.passed && writable && p.timeline >= 2 && ready.unreplayedSegments === 0;
    return {
      passed,
      rtoMs,
      dataLost: lostText(check.lost, loss),
      note: passed ? `lag at promotion ${lagText(p.before)}` : check.text,
    };
  },
};

function lagText(s: ReplicaStatusJson): string {
  const t = s.lagSeconds === null ? '?' : `${s.lagSeconds.toFixed(1)} s`;
  return `${t}, ${s.unreplayedSegments} archived segment(s) not replayed`;
}

async function replicaStatus(ctx: DemoContext, args: string[]): Promise<ReplicaStatusJson> {
  // Exit 51 means "not healthy": a state to wait through, not a failure of the command.
  return (await ctx.pgdr.json<ReplicaStatusJson>([...args, '--format', 'json'], { okCodes: [51] })).value;
}

/**
 * Polls the standby's status once a second: until `done` holds (at most CATCH_UP_MS), or, with `forMs`, for
 * that long whatever it says.
 */
async function follow(
  ctx: DemoContext,
  args: string[],
  update: (s: string) => void,
  o: { done?: (s: ReplicaStatusJson) => boolean; forMs?: number },
): Promise<ReplicaStatusJson> {
  const t0 = Date.now();
  for (;;) {
    const s = await replicaStatus(ctx, args);
    update(`${s.verdict}, lag ${lagText(s)}`);
    if (o.forMs !== undefined ? Date.now() - t0 >= o.forMs : o.done?.(s)) return s;
    if (o.forMs === undefined && Date.now() - t0 > CATCH_UP_MS) {
      throw new Error(`the standby did not catch up: ${s.verdict}: ${s.reason}`);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}
