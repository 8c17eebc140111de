// The checks of `pgdr check` that need the running primary (postgres.connection).
import type pg from 'pg';
import type { StatusResult } from '../engine/status.js';
import {
  type ArchiverRow,
  archiverCheck,
  archiverFacts,
  backlogCheck,
  identityCheck,
} from './archiver-checks.js';
import { type CheckResult, oneLine, skipped, timed } from './check-result.js';
import { describe, openSession } from './pg-session.js';

const NAMES = ['postgres', 'archiver', 'archive-backlog', 'cluster-identity'];

export async function postgresChecks(o: {
  connection: string;
  status: StatusResult | null;
  now: () => Date;
  signal?: AbortSignal | undefined;
}): Promise<{ checks: CheckResult[]; archiveTimeoutMs?: number | undefined }> {
  const session: { client?: pg.Client } = {};
  const conn = await timed('postgres', async () => {
    session.client = await openSession(o.connection);
    return { status: 'pass', finding: `connected to ${describe(o.connection)}`, hint: '' };
  });
  const client = session.client;
  if (!client) {
    return {
      checks: [conn, ...NAMES.slice(1).map((n) => skipped(n, 'not run: cannot connect to PostgreSQL'))],
    };
  }
  try {
    const out: CheckResult[] = [conn];
    let row: ArchiverRow | undefined;
    out.push(
      await timed('archiver', async () => {
        row = await archiverFacts(client);
        return archiverCheck(row, o.now());
      }),
    );
    const a = row as ArchiverRow | undefined;
    out.push(
      a
        ? await timed('archive-backlog', () => backlogCheck(client, a, o.now()))
        : skipped('archive-backlog', 'not run'),
    );
    const done = o.status?.report.doneBackups ?? [];
    const systemId = done[done.length - 1]?.systemid ?? null;
    out.push(
      o.status
        ? await timed('cluster-identity', () => identityCheck(client, systemId))
        : skipped('cluster-identity', 'not run: no backups to compare with'),
    );
    const timeoutS = a?.archive_timeout_s ?? 0;
    return { checks: out, archiveTimeoutMs: timeoutS > 0 ? timeoutS * 1000 : undefined };
  } catch (e) {
    const finding = oneLine((e as Error).message);
    return { checks: [conn, { name: 'archiver', status: 'fail', finding, hint: '', durationMs: 0 }] };
  } finally {
    await client.end().catch(() => undefined);
  }
}
