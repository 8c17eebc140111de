// Verification of a recovered Cluster: what its status says (ready instances, a primary, a new timeline, the
// Ready condition), then, when a connection to its -rw service is given, pgdr's own verify checks against it.
// pgdr does not exec into pods: a connection (a port-forward, or pgdr running inside the cluster) is the way.
import { PgdrError } from '../../errors.js';
import type { DataCheck } from '../../verify/data-check.js';
import { verifyDatabase } from '../../verify/verify-database.js';
import { type ClusterState, condition } from '../cluster-state.js';

export interface VerifyClusterOptions {
  /** postgresql://… to the recovered Cluster's -rw service; without it only the status is checked. */
  readonly connection?: string | undefined;
  readonly dataChecks?: readonly DataCheck[] | undefined;
  readonly amcheck?: boolean | undefined;
  readonly signal?: AbortSignal | undefined;
}

export async function verifyCluster(s: ClusterState, o: VerifyClusterOptions): Promise<string> {
  const problems: string[] = [];
  if (s.readyInstances < s.wanted) problems.push(`${s.readyInstances}/${s.wanted} instances ready`);
  if (!s.currentPrimary) problems.push('no current primary');
  if (condition(s, 'Ready')?.status === 'False')
    problems.push(`Ready=False (${condition(s, 'Ready')?.message})`);
  // A recovery promotes at its end: it always opens a timeline after the backup's.
  if (s.timeline !== undefined && s.timeline < 2)
    problems.push(`still on timeline ${s.timeline}: no recovery happened?`);
  if (problems.length)
    throw new PgdrError('RECOVERY_FAILED', `Cluster ${s.namespace}/${s.name}: ${problems.join('; ')}`, {
      hint: `kubectl describe cluster ${s.name} -n ${s.namespace}`,
    });
  const status = `status: ${s.readyInstances}/${s.wanted} ready, primary ${s.currentPrimary}, timeline ${s.timeline ?? '?'}`;
  if (!o.connection) return `${status}; no --connection: database checks not run`;
  const report = await verifyDatabase({
    connection: o.connection,
    dataChecks: o.dataChecks ?? [],
    amcheck: o.amcheck ?? true,
    signal: o.signal,
  });
  const failed = report.checks.filter((c) => c.status === 'fail');
  const warned = report.checks.filter((c) => c.status === 'warn');
  if (failed.length)
    throw new PgdrError(
      'CHECKS_FAILED',
      `verify of ${report.target}: ${failed.map((c) => `${c.name}: ${c.finding}`).join('; ')}`,
      { hint: 'the recovered data does not pass the checks: the applications were left scaled down' },
    );
  return `${status}; ${report.checks.length} checks on ${report.target}: ${report.checks.length - failed.length - warned.length} passed, ${warned.length} warned${warned.length ? ` (${warned.map((c) => c.name).join(', ')})` : ''}`;
}
