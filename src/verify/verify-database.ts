// `pgdr verify` as an engine function (the drill calls it after a restore): connects, then runs every check in
// an order where later ones benefit from earlier ones (counts read the heap before the checksum counters are
// read). Never throws for a check's failure: the report says what failed; only an abort throws.
import type pg from 'pg';
import { type AmcheckBounds, withDefaults } from './amcheck-budget.js';
import type { AmcheckSummary } from './amcheck-findings.js';
import { amcheckChecks } from './amcheck-run.js';
import type { Captured } from './captured.js';
import { type CheckResult, type ChecksReport, oneLine, outcome, skipped, timed } from './check-result.js';
import type { DataCheck } from './data-check.js';
import { describe, openSession } from './pg-session.js';
import { runDataChecks } from './run-data-checks.js';
import {
  checksumCheck,
  recoveryCheck,
  type ServerFacts,
  serverFacts,
  versionCheck,
} from './server-checks.js';

export interface VerifyOptions {
  /** A URI or libpq key=value string. */
  readonly connection: string;
  /** Preset and user checks, in order (see PRESETS and parseChecksFile). */
  readonly dataChecks?: readonly DataCheck[];
  /** Values captured earlier (parseCaptured): counts and times must not be lower. */
  readonly captured?: Captured | undefined;
  /** A standby (replica scenario) is expected: being in recovery is then a pass, being promoted a fail. */
  readonly expectStandby?: boolean;
  /** Fail when the server's major version differs (e.g. the backup's). */
  readonly expectMajor?: number | undefined;
  /** Off: skip amcheck (it creates the extension on a writable server). Default on. */
  readonly amcheck?: boolean;
  /** Bounds of the amcheck run; each omitted one has its default (DEFAULT_AMCHECK_BOUNDS). */
  readonly amcheckBounds?: Partial<AmcheckBounds>;
  /** amcheck in every database that accepts connections, not only the connected one (the drill's cluster). */
  readonly amcheckAllDatabases?: boolean;
  readonly statementTimeoutMs?: number;
  readonly now?: () => Date;
  readonly signal?: AbortSignal;
}

export interface VerifyReport extends ChecksReport {
  /** Redacted connection, for the report. */
  readonly target: string;
  readonly facts: ServerFacts | null;
  /** What amcheck checked; null when it did not run. */
  readonly amcheck: AmcheckSummary | null;
}

export async function verifyDatabase(o: VerifyOptions): Promise<VerifyReport> {
  const now = o.now ?? (() => new Date());
  const startedAt = now();
  const checks: CheckResult[] = [];
  // Assigned inside the callback, which control-flow analysis does not follow: hold it in an object.
  const session: { client?: pg.Client } = {};
  checks.push(
    await timed('connectivity', async () => {
      session.client = await openSession(o.connection);
      return { status: 'pass', finding: `connected to ${describe(o.connection)}`, hint: '' };
    }),
  );
  let facts: ServerFacts | null = null;
  const amcheck: { summary: AmcheckSummary | null } = { summary: null };
  const client = session.client;
  if (client) {
    try {
      facts = await serverFacts(client);
      checks.push(...(await runAll(client, facts, o, now, amcheck)));
    } catch (e) {
      o.signal?.throwIfAborted();
      checks.push(
        await timed('server', () => ({ status: 'fail', finding: oneLine((e as Error).message), hint: '' })),
      );
    } finally {
      await client.end().catch(() => undefined);
    }
  } else {
    const rest = [
      'server-version',
      'recovery-state',
      'amcheck-heap',
      'amcheck',
      ...(o.dataChecks ?? []).map((c) => c.name),
    ];
    for (const name of [...rest, 'checksums']) checks.push(skipped(name, 'not run: cannot connect'));
  }
  return {
    result: outcome(checks),
    checks,
    startedAt,
    finishedAt: now(),
    target: describe(o.connection),
    facts,
    amcheck: amcheck.summary,
  };
}

async function runAll(
  client: pg.Client,
  facts: ServerFacts,
  o: VerifyOptions,
  now: () => Date,
  amcheck: { summary: AmcheckSummary | null },
): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  out.push(await timed('server-version', () => versionCheck(facts, o.expectMajor)));
  out.push(
    await timed('recovery-state', () =>
      recoveryCheck(facts, { expectStandby: o.expectStandby ?? false, now: now() }),
    ),
  );
  o.signal?.throwIfAborted();
  if (o.amcheck === false) {
    out.push(skipped('amcheck-heap', 'not run (--no-amcheck)'), skipped('amcheck', 'not run (--no-amcheck)'));
  } else {
    const run = await amcheckChecks({
      client,
      connection: o.connection,
      facts,
      allDatabases: o.amcheckAllDatabases ?? false,
      bounds: withDefaults(o.amcheckBounds),
      signal: o.signal,
    });
    amcheck.summary = run.summary;
    out.push(...run.checks);
  }
  out.push(
    ...(await runDataChecks({
      client,
      checks: o.dataChecks ?? [],
      captured: o.captured,
      now: now(),
      statementTimeoutMs: o.statementTimeoutMs ?? 5 * 60_000,
      signal: o.signal,
    })),
  );
  out.push(...unmatchedCaptures(o));
  out.push(await timed('checksums', () => checksumCheck(client)));
  return out;
}

/** A captured data value that this run has no check for would silently go uncompared: say so. */
function unmatchedCaptures(o: VerifyOptions): CheckResult[] {
  if (!o.captured) return [];
  const names = new Set((o.dataChecks ?? []).map((c) => c.name));
  const builtIn = new Set([
    'connectivity',
    'server-version',
    'recovery-state',
    'amcheck-heap',
    'amcheck',
    'checksums',
    'server',
  ]);
  const missing = [...o.captured.keys()].filter((n) => !names.has(n) && !builtIn.has(n));
  if (!missing.length) return [];
  return [
    {
      name: 'expect-from',
      status: 'warn',
      finding: `captured checks not run here: ${missing.join(', ')}`,
      hint: 'pass the same --preset and --checks as when the values were captured',
      durationMs: 0,
    },
  ];
}
