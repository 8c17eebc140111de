// Verification of a recovered Cluster: what its status says (ready instances, a primary, a new timeline, the
// Ready condition), then pgdr's own verify checks against its database. With --connection the user's own
// connection is used; without, pgdr opens a port-forward to the current primary's 5432 and logs in with the
// credentials Secret CloudNativePG keeps for the Cluster. When that is impossible (RBAC, no Secret) a drill
// fails, while pitr/latest go on with the status checks alone and say the verification was partial.
import { isPgdrError, PgdrError } from '../../errors.js';
import type { CheckResult } from '../../verify/check-result.js';
import type { DataCheck } from '../../verify/data-check.js';
import { type VerifyReport, verifyDatabase } from '../../verify/verify-database.js';
import { type KubeApi, type PortForward, ref } from '../api/kube-api.js';
import { type ClusterState, condition } from '../cluster-state.js';
import { CNPG_API } from '../manifest-types.js';
import { forwardedConnection, readDbCredentials } from './db-credentials.js';

/** The port CloudNativePG's instances listen on. */
export const POSTGRES_PORT = 5432;

export interface VerifyClusterOptions {
  readonly api: KubeApi;
  /** postgresql://… reaching the recovered Cluster; without it pgdr port-forwards to the primary. */
  readonly connection?: string | undefined;
  /** Through the port-forward: the database to check (default: the Secret's dbname). */
  readonly database?: string | undefined;
  readonly dataChecks?: readonly DataCheck[] | undefined;
  readonly amcheck?: boolean | undefined;
  /** A drill: database checks that cannot run fail the verification instead of leaving it partial. */
  readonly strict: boolean;
  /** Detail lines (each check's finding, warnings). */
  readonly progress?: ((line: string) => void) | undefined;
  readonly signal?: AbortSignal | undefined;
}

export interface ClusterVerification {
  readonly summary: string;
  /** Why only the status was checked; undefined when the database checks ran. */
  readonly partial?: string | undefined;
}

export async function verifyCluster(s: ClusterState, o: VerifyClusterOptions): Promise<ClusterVerification> {
  const status = statusChecks(s);
  if (o.connection) {
    const report = await runChecks(o.connection, o);
    return { summary: `${status}; ${judge(report, report.target)}` };
  }
  let forward: PortForward | undefined;
  try {
    let connection: string;
    let label: string;
    try {
      const cluster = await o.api.get(ref(CNPG_API, 'Cluster', s.namespace, s.name), { signal: o.signal });
      if (!cluster) throw new PgdrError('NOT_FOUND', `Cluster ${s.namespace}/${s.name} no longer exists`);
      const creds = await readDbCredentials(o.api, cluster, o.signal);
      // statusChecks refused a Cluster without a primary.
      const primary = s.currentPrimary as string;
      forward = await o.api.portForward(s.namespace, primary, POSTGRES_PORT, { signal: o.signal });
      const database = o.database ?? creds.database;
      connection = forwardedConnection(creds, forward.host, forward.port, database);
      label = `${forward.describe()}, database ${database} as ${creds.user} (Secret ${creds.secret})`;
      o.progress?.(`database checks on ${label}`);
    } catch (e) {
      return unavailable(status, e, o);
    }
    const report = await runChecks(connection, o);
    const broken = forward.failure();
    if (broken && report.checks.some((c) => c.name === 'connectivity' && c.status === 'fail'))
      return unavailable(
        status,
        new PgdrError('K8S_API', `the port-forward to ${forward.describe()} failed: ${broken}`),
        o,
      );
    return { summary: `${status}; ${judge(report, label)}` };
  } finally {
    await forward?.close();
  }
}

function statusChecks(s: ClusterState): string {
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
  return `status: ${s.readyInstances}/${s.wanted} ready, primary ${s.currentPrimary}, timeline ${s.timeline ?? '?'}`;
}

async function runChecks(connection: string, o: VerifyClusterOptions): Promise<VerifyReport> {
  const report = await verifyDatabase({
    connection,
    dataChecks: o.dataChecks ?? [],
    amcheck: o.amcheck ?? true,
    ...(o.signal ? { signal: o.signal } : {}),
  });
  for (const c of report.checks) o.progress?.(checkLine(c));
  return report;
}

const checkLine = (c: CheckResult) =>
  `${c.status.padEnd(4)}  ${c.name}: ${c.finding}${c.status !== 'pass' && c.hint ? ` (${c.hint})` : ''}`;

function judge(report: VerifyReport, target: string): string {
  const failed = report.checks.filter((c) => c.status === 'fail');
  const warned = report.checks.filter((c) => c.status === 'warn');
  if (failed.length)
    throw new PgdrError(
      'CHECKS_FAILED',
      `verify of ${target}: ${failed.map((c) => `${c.name}: ${c.finding}`).join('; ')}`,
      { hint: 'the recovered data does not pass the checks named here: nothing was switched over to it' },
    );
  const passed = report.checks.length - failed.length - warned.length;
  return `${report.checks.length} checks on ${target}: ${passed} passed, ${warned.length} warned${warned.length ? ` (${warned.map((c) => c.name).join(', ')})` : ''}`;
}

/** The database could not be reached at all: fatal for a drill, a stated gap for pitr/latest. */
function unavailable(status: string, e: unknown, o: VerifyClusterOptions): ClusterVerification {
  const reachable = ['K8S_FORBIDDEN', 'K8S_API', 'NOT_FOUND', 'CONFIG_INVALID'] as const;
  if (!isPgdrError(e) || !reachable.some((c) => c === e.code)) throw e;
  if (o.strict)
    throw new PgdrError(e.code, `the database checks cannot run: ${e.message}`, {
      ...(e.hint ? { hint: e.hint } : {}),
      cause: e,
    });
  o.progress?.(`warning: database checks not run: ${e.message}`);
  if (e.hint) o.progress?.(`hint: ${e.hint}`);
  return {
    summary: `${status}; database checks NOT run (${e.message}): verification partial`,
    partial: e.message,
  };
}
