// The verify stage: `pgdr verify` against the restored server, in the database the data checks need, with
// amcheck in every database of the restored cluster (it is the drill's own: creating the extension is free).
import type { RunningServer } from '../engine/restore/restore.js';
import type { AmcheckBounds } from '../verify/amcheck-budget.js';
import type { AmcheckSummary } from '../verify/amcheck-findings.js';
import type { DataCheck } from '../verify/data-check.js';
import { withDatabase } from '../verify/database-connection.js';
import { verifyDatabase } from '../verify/verify-database.js';
import type { DrillCheck, StageRunner } from './drill-types.js';

export interface VerifyStageResult {
  readonly checks: DrillCheck[];
  readonly verification: AmcheckSummary | null;
}

export async function verifyStage(
  runner: StageRunner,
  o: {
    readonly server: RunningServer | null;
    readonly database: string;
    readonly dataChecks: readonly DataCheck[];
    readonly major: number | undefined;
    readonly amcheckBounds?: Partial<AmcheckBounds> | undefined;
    readonly signal?: AbortSignal | undefined;
  },
): Promise<VerifyStageResult> {
  let result: VerifyStageResult = { checks: [], verification: null };
  await runner.run('verify', async () => {
    // Fail-closed: a restore that "succeeded" without a server to check proves nothing.
    if (!o.server) throw new Error('no running server to verify');
    const report = await verifyDatabase({
      connection: withDatabase(o.server.connectionString, o.database),
      dataChecks: o.dataChecks,
      expectMajor: o.major,
      amcheckBounds: o.amcheckBounds,
      amcheckAllDatabases: true,
      signal: o.signal,
    });
    result = { checks: report.checks.map((c) => ({ ...c })), verification: report.amcheck };
    const bad = report.checks.filter((c) => c.status === 'fail' || c.status === 'warn');
    const passed = report.checks.filter((c) => c.status === 'pass').length;
    const text = bad.map((c) => `${c.name} ${c.status}: ${c.finding}`).join('; ');
    // A pass that left relations unchecked must say so where the stage is read.
    const partial = report.amcheck?.partial ?? (report.amcheck ? null : 'amcheck did not run');
    return {
      value: report,
      status: report.result === 'fail' ? 'fail' : 'pass',
      detail: `${partial ? `partial verification (${partial}); ` : ''}${passed}/${report.checks.length} checks passed${text ? `; ${text}` : ''}`,
    };
  });
  return result;
}
