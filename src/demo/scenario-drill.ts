// The monthly restore drill: what the agent runs on a schedule, fail-closed, with its report kept in the bucket.
import { DATABASE } from './mastodon-data.js';
import { PgdrRunner } from './pgdr-child.js';
import type { Scenario } from './scenario.js';

interface DrillJson {
  result: 'pass' | 'fail';
  failedStage: string | null;
  rtoMs: number | null;
  rpoMs: number | null;
  historyKey?: string | null;
  stages: Array<{ name: string; status: string; durationMs: number; detail: string }>;
  checks: Array<{ name: string; status: string; finding: string }>;
}

export const drillScenario: Scenario = {
  id: 'drill',
  title: 'Restore drill with its report',
  explanation:
    'The automated DR test, as the agent schedules it: restore into a throwaway folder, verify (amcheck, ' +
    'checksums, the Mastodon data checks), clean up, and keep the report in the bucket.',
  async run(ctx) {
    const args = ['drill', '--preset', 'mastodon', '--database', DATABASE, '--config', ctx.ws.bucketConfig];
    ctx.progress.fact(PgdrRunner.show(args));
    // The drill's throwaway folder goes under TMPDIR: keep it inside the demo's folder.
    const { value: d } = await ctx.progress.step('drilling', () =>
      ctx.pgdr.json<DrillJson>([...args, '--format', 'json'], { okCodes: [52], env: { TMPDIR: ctx.ws.tmp } }),
    );
    for (const s of d.stages) {
      ctx.progress.fact(
        `${s.name.padEnd(9)} ${s.status.padEnd(4)} ${(s.durationMs / 1000).toFixed(1).padStart(6)} s  ${s.detail}`,
      );
    }
    const failedChecks = d.checks.filter((c) => c.status === 'fail');
    for (const c of failedChecks) ctx.progress.fact(`check ${c.name} failed: ${c.finding}`);
    if (d.historyKey) ctx.progress.fact(`report kept in the bucket: ${d.historyKey}`);
    const passed = d.result === 'pass';
    return {
      passed,
      rtoMs: d.rtoMs,
      dataLost: d.rpoMs === null ? 'RPO unknown' : `RPO ${(d.rpoMs / 1000).toFixed(1)} s`,
      note: passed ? undefined : `drill failed at ${d.failedStage ?? '?'}`,
    };
  },
};
