// The verify stage: `pgdr verify` against the restored server, in the database the data checks need.
import type { RunningServer } from '../engine/restore/restore.js';
import type { DataCheck } from '../verify/data-check.js';
import { verifyDatabase } from '../verify/verify-database.js';
import type { DrillCheck } from './drill-types.js';
import type { StageRunner } from './stage-runner.js';

export async function verifyStage(
  runner: StageRunner,
  o: {
    readonly server: RunningServer | null;
    readonly database: string;
    readonly dataChecks: readonly DataCheck[];
    readonly major: number | undefined;
    readonly signal?: AbortSignal | undefined;
  },
): Promise<DrillCheck[]> {
  let checks: DrillCheck[] = [];
  await runner.run('verify', async () => {
    // Fail-closed: a restore that "succeeded" without a server to check proves nothing.
    if (!o.server) throw new Error('no running server to verify');
    const report = await verifyDatabase({
      connection: withDatabase(o.server.connectionString, o.database),
      dataChecks: o.dataChecks,
      expectMajor: o.major,
      signal: o.signal,
    });
    checks = report.checks.map((c) => ({ ...c }));
    const bad = report.checks.filter((c) => c.status === 'fail' || c.status === 'warn');
    const passed = report.checks.filter((c) => c.status === 'pass').length;
    const text = bad.map((c) => `${c.name} ${c.status}: ${c.finding}`).join('; ');
    return {
      value: report,
      status: report.result === 'fail' ? 'fail' : 'pass',
      detail: `${passed}/${report.checks.length} checks passed${text ? `; ${text}` : ''}`,
    };
  });
  return checks;
}

function withDatabase(connection: string, database: string): string {
  const u = new URL(connection);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}
