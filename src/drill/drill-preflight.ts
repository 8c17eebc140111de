// The preflight stage: `pgdr check` on the bucket. A failing check stops the drill (a restore from a bucket
// with a WAL gap or no backup cannot prove anything); warnings are passed on in the stage's detail.
import type { StatusResult } from '../engine/status.js';
import type { ObjectStore } from '../storage/object-store.js';
import { runChecks } from '../verify/run-checks.js';
import type { DrillCheck, StageRunner } from './drill-types.js';

export async function preflightStage(
  runner: StageRunner,
  o: {
    readonly store: ObjectStore;
    readonly serverName: string;
    readonly maxWalAgeMs?: number | undefined;
    readonly maxBackupAgeMs?: number | undefined;
    readonly signal?: AbortSignal | undefined;
  },
): Promise<{ status: StatusResult | undefined; checks: DrillCheck[] }> {
  let checks: DrillCheck[] = [];
  const status = await runner.run('preflight', async () => {
    const r = await runChecks({
      store: o.store,
      serverName: o.serverName,
      ...(o.signal ? { signal: o.signal } : {}),
      ...(o.maxWalAgeMs !== undefined ? { maxWalAgeMs: o.maxWalAgeMs } : {}),
      ...(o.maxBackupAgeMs !== undefined ? { maxBackupAgeMs: o.maxBackupAgeMs } : {}),
    });
    checks = r.checks.map((c) => ({ ...c }));
    const bad = r.checks.filter((c) => c.status === 'fail' || c.status === 'warn');
    const text = bad.map((c) => `${c.name} ${c.status}: ${c.finding}`).join('; ');
    if (r.result === 'fail' || !r.status) {
      return { value: null, status: 'fail' as const, detail: text || 'pgdr check failed' };
    }
    return {
      value: r.status as StatusResult,
      detail: `${r.checks.length} checks ${text ? `(${text})` : 'passed'}`,
    };
  });
  return { status: status ?? undefined, checks };
}
