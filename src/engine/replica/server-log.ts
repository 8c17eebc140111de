// What the standby's server log says about the archive: the last segment restored, and the segments
// restore_command keeps failing for. `pgdr wal restore` writes its errors to stderr, which pg_ctl sends to the
// log; PostgreSQL itself logs nothing on a failed restore_command (it is how "not archived yet" looks), except
// when the status aborts recovery (`--damaged-exit`): then its startup process stops, and the server with it.

import { PgdrError } from '../../errors.js';
import { readLogTail } from '../../postgres/log-tail.js';
import { abortedRestore, damagedInLog, type WalProblem } from '../restore/replay-end.js';

export interface LogFindings {
  readonly lastRestored: string | null;
  /** Segment name -> failed restores since the last successful one of a later segment. */
  readonly failures: ReadonlyMap<string, number>;
  /** WAL name -> the damaged object `pgdr wal restore` refused for it. */
  readonly damaged: ReadonlyMap<string, WalProblem>;
  /** Since the server last started: the WAL file whose restore aborted recovery (the server stopped). */
  readonly stoppedAt: { readonly name: string; readonly problem: WalProblem | undefined } | null;
}

/** Only the end of the log is read: a standby's log grows forever. */
const TAIL_BYTES = 1024 * 1024;

const RESTORED = /restored log file "([0-9A-F]{24})" from archive/;
const FAILED = /pgdr: error: .*?\b([0-9A-F]{24})\b/;

export async function readLogFindings(logFile: string): Promise<LogFindings> {
  const text = await readLogTail(logFile, TAIL_BYTES);
  if (text === undefined)
    return { lastRestored: null, failures: new Map(), damaged: new Map(), stoppedAt: null };
  return parseLog(text);
}

export function parseLog(text: string): LogFindings {
  let lastRestored: string | null = null;
  const failures = new Map<string, number>();
  for (const line of text.split('\n')) {
    const ok = RESTORED.exec(line);
    if (ok) {
      lastRestored = ok[1]!;
      // Failures before a restore of a later segment were "not archived yet", not stuck.
      for (const name of [...failures.keys()]) if (name <= lastRestored) failures.delete(name);
      continue;
    }
    const bad = FAILED.exec(line);
    if (bad) failures.set(bad[1]!, (failures.get(bad[1]!) ?? 0) + 1);
  }
  const damaged = damagedInLog(text);
  const aborted = abortedRestore(text.slice(Math.max(0, text.lastIndexOf(STARTING))));
  const stoppedAt = aborted ? { name: aborted.name, problem: damaged.get(aborted.name) } : null;
  return { lastRestored, failures, damaged, stoppedAt };
}

const STARTING = 'LOG:  starting PostgreSQL';

/** The standby is down: its recovery aborted at a WAL file restore_command refused. */
export function stoppedError(at: NonNullable<LogFindings['stoppedAt']>, logFile: string): PgdrError {
  const why = at.problem ? `damaged object ${at.problem.key} (${at.problem.reason})` : 'see its log';
  return new PgdrError('RECOVERY_FAILED', `the standby stopped: stuck on ${at.name}: ${why}`, {
    hint: `PostgreSQL aborted recovery there rather than go on without that WAL. Put a good copy of the object back (e.g. from the primary's pg_wal), then start the standby again (its log: ${logFile})`,
    details: { wal: at.name, key: at.problem?.key },
  });
}
