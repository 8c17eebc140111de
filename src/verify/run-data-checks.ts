// Runs data checks (preset and user): each statement alone in a read-only transaction with a timeout, so a
// check can neither change the database nor hang the report, and one failing check does not stop the others.
import type pg from 'pg';
import { formatDuration } from '../common/duration.js';
import type { Captured } from './captured.js';
import { type CheckResult, type CheckValue, oneLine, timed } from './check-result.js';
import type { DataCheck } from './data-check.js';
import { asTime, compareCaptured, judge, show } from './expectation.js';
import { RAW_TIME_TYPES, toValue } from './pg-session.js';

export interface DataChecksOptions {
  readonly client: pg.Client;
  readonly checks: readonly DataCheck[];
  readonly captured?: Captured | undefined;
  readonly now: Date;
  readonly statementTimeoutMs: number;
  readonly signal?: AbortSignal | undefined;
}

export async function runDataChecks(o: DataChecksOptions): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const check of o.checks) {
    o.signal?.throwIfAborted();
    out.push(await timed(check.name, () => runOne(o, check)));
  }
  return out;
}

async function runOne(o: DataChecksOptions, check: DataCheck) {
  let value: CheckValue;
  try {
    value = await queryValue(o.client, check.sql, o.statementTimeoutMs);
  } catch (e) {
    return {
      status: 'fail' as const,
      finding: `query failed: ${oneLine((e as Error).message)}`,
      hint: check.errorHint ?? 'fix the sql of this check in the checks file',
    };
  }
  const bad = check.severity === 'warn' ? ('warn' as const) : ('fail' as const);
  const j = judge(value, check.expect, o.now);
  const notes = [describeValue(value, o.now), ...expectationText(check)];
  const whys = j.status === 'fail' ? [j.why] : [];
  let hint = j.status === 'fail' ? 'the restored data is not what this check expects' : '';
  const captured = o.captured?.get(check.name);
  if (captured !== undefined && o.captured?.has(check.name)) {
    const c = compareCaptured(value, captured, check.compare);
    notes.push(`captured ${show(captured)}`);
    if (c.status === 'fail') {
      whys.push(c.why);
      hint = 'rows were lost since the capture, or the restore stopped before it: check the recovery target';
    }
  }
  return {
    status: whys.length ? bad : ('pass' as const),
    finding: whys.length ? whys.join('; ') : notes.join(', '),
    hint,
    value,
  };
}

async function queryValue(client: pg.Client, sql: string, timeoutMs: number): Promise<CheckValue> {
  await client.query('BEGIN TRANSACTION READ ONLY');
  try {
    await client.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.round(timeoutMs))}`);
    const r = await client.query({ text: sql, types: RAW_TIME_TYPES, rowMode: 'array' });
    if (r.rows.length !== 1 || r.fields.length !== 1) {
      throw new Error(
        `returned ${r.rows.length} row(s) of ${r.fields.length} column(s); a check returns exactly one value`,
      );
    }
    const field = r.fields[0]!;
    return toValue((r.rows[0] as unknown[])[0], field.dataTypeID);
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
  }
}

function describeValue(v: CheckValue, now: Date): string {
  const t = asTime(v);
  return t ? `${show(v)} (${formatDuration(now.getTime() - t.getTime())} ago)` : show(v);
}

function expectationText(c: DataCheck): string[] {
  const e = c.expect;
  const out: string[] = [];
  if (e.min !== undefined) out.push(`min ${e.min}`);
  if (e.max !== undefined) out.push(`max ${e.max}`);
  if (e.equals !== undefined) out.push(`equals ${show(e.equals)}`);
  if (e.fresherThanMs !== undefined) out.push(`fresher than ${formatDuration(e.fresherThanMs)}`);
  return out;
}
