// Before any disaster: what the bucket can recover to right now, read from the bucket alone.
import { age } from '../common/text-format.js';
import { PgdrRunner } from './pgdr-child.js';
import type { Scenario } from './scenario.js';

interface StatusJson {
  verdict: { level: 'ok' | 'warn' | 'fail'; text: string };
  newestBackup: { backupId: string; ageMs: number | null } | null;
  newestWal: { name: string; ageMs: number } | null;
  timelines: Array<{
    timeline: number;
    recoveryWindow: { from: string | null; toSegment: string; toArchivedAt: string } | null;
    gaps: unknown[];
  }>;
}

export const statusScenario: Scenario = {
  id: 'status',
  title: 'Recovery window and RPO',
  explanation:
    'What could we recover to right now? pgdr status reads only the bucket: the recovery window per timeline, ' +
    'gaps, and the age of the newest archived WAL, which is what a lost primary would cost (the RPO).',
  async run(ctx) {
    const args = ['status', '--config', ctx.ws.config, '--format', 'json'];
    ctx.progress.fact(PgdrRunner.show(args.slice(0, -2)));
    const { value: s } = await ctx.progress.step('reading the bucket', () => ctx.pgdr.json<StatusJson>(args));
    const tl = s.timelines[s.timelines.length - 1];
    const w = tl?.recoveryWindow;
    if (w)
      ctx.progress.fact(
        `recovery window (timeline ${tl.timeline}): ${w.from} .. ${w.toArchivedAt} (${w.toSegment})`,
      );
    if (s.newestBackup) ctx.progress.fact(`newest backup: ${s.newestBackup.backupId}`);
    const rpo = s.newestWal ? age(s.newestWal.ageMs) : 'unknown';
    ctx.progress.fact(`newest WAL archived ${rpo} ago: the RPO right now (archive_timeout bounds it)`);
    ctx.progress.fact(`verdict: ${s.verdict.text}`);
    const gaps = s.timelines.reduce((n, t) => n + t.gaps.length, 0);
    const passed = s.verdict.level === 'ok' && w !== undefined && w !== null && gaps === 0;
    return {
      passed,
      rtoMs: null,
      dataLost: `RPO now ${rpo}`,
      note: passed ? undefined : `status verdict: ${s.verdict.text}`,
    };
  },
};
