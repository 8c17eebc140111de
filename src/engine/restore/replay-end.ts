// Did recovery replay the WAL the plan listed? PostgreSQL ends an archive recovery at the first WAL file
// restore_command does not deliver, whatever the reason (missing, a store error, a damaged object before
// `--damaged-exit`), and at the first record it cannot read: to the end of the archive, that looks like
// success. So the end is checked against the plan, and when recovery stopped short, the first planned segment
// it did not use is named with what restore_command (its errors go to the server log) or
// PostgreSQL said about it. Segments archived after the plan was made are not expected.
import { formatLsn, parseLsn, segmentStartLsn } from '../../catalog/wal-name.js';
import { PgdrError } from '../../errors.js';
import type { WalRange } from './wal-range.js';

/** What went wrong fetching one WAL file (restore_command's error in the server log). */
export interface WalProblem {
  readonly key: string | undefined;
  readonly reason: string;
  readonly damaged: boolean;
}

export interface StopEvidence {
  /** The server log (its tail). */
  readonly log: string;
  readonly logFile: string;
  /** WAL name -> what restore_command reported for it. */
  readonly problems: ReadonlyMap<string, WalProblem>;
}

interface Planned {
  readonly name: string;
  readonly key: string;
  readonly start: bigint;
}

function planned(wal: Pick<WalRange, 'objects'>, segSize: number): Planned[] {
  const out: Planned[] = [];
  for (const o of wal.objects) {
    if (o.segmentName === undefined || (o.kind !== 'segment' && o.kind !== 'partial')) continue;
    out.push({ name: o.segmentName, key: o.key, start: segmentStartLsn(o.segmentName, segSize) });
  }
  return out;
}

/**
 * The first planned segment recovery did not use, given where replay ended (the end of the last record
 * replayed): a segment was used when some record ending in it or after it was replayed.
 */
export function firstUnreplayed(
  wal: Pick<WalRange, 'objects'>,
  segSize: number,
  replayEnd: bigint,
): { name: string; key: string; after: number } | undefined {
  const segs = planned(wal, segSize);
  const i = segs.findIndex((s) => replayEnd <= s.start);
  if (i < 0) return undefined;
  return { name: segs[i]!.name, key: segs[i]!.key, after: segs.length - i - 1 };
}

const DAMAGED_LINE = /pgdr: error: WAL object (\S+) is damaged: (.*)$/;
const PGDR_ERROR = /pgdr: error: (.*\b([0-9A-F]{24})\b.*)$/;
const ABORTED = /(?:FATAL|PANIC):\s+could not restore file "([^"]+)" from archive: (.*)$/;
const REDO_DONE = /redo done at ([0-9A-F]+\/[0-9A-F]+)/;
const RESTORED = /restored log file "([0-9A-F]{24})" from archive/g;
/** PostgreSQL's LOG line when it finds no valid record (end of WAL, or damage it cannot tell from it). */
const UNREADABLE =
  /LOG:\s+((?:invalid|incorrect|unexpected|missing contrecord|record with|contrecord is requested|there is no contrecord).*)$/;

/** Where PostgreSQL last found no valid record: its LOG line gives the LSN ("at X/Y" or "LSN X/Y"). */
function unreadableAt(log: string): bigint | undefined {
  const line = log
    .split('\n')
    .map((l) => UNREADABLE.exec(l))
    .filter((m) => m !== null)
    .at(-1)?.[1];
  const lsn = line === undefined ? null : /(?:\bat|\bLSN) ([0-9A-F]+\/[0-9A-F]+)/.exec(line);
  return lsn ? parseLsn(lsn[1]!) : undefined;
}

/** Damaged objects `pgdr wal restore` reported in the server log, by WAL file name. */
export function damagedInLog(log: string): Map<string, WalProblem> {
  const out = new Map<string, WalProblem>();
  for (const line of log.split('\n')) {
    const m = DAMAGED_LINE.exec(line);
    const name = m ? /([0-9A-F]{24}(?:\.partial)?|[0-9A-F]{8}\.history)(?:\.[a-z0-9]+)?$/.exec(m[1]!) : null;
    if (m && name) out.set(name[1]!.replace(/\.partial$/, ''), { key: m[1], reason: m[2]!, damaged: true });
  }
  return out;
}

/** The WAL file whose restore_command status made PostgreSQL abort recovery, and its words. */
export function abortedRestore(log: string): { name: string; detail: string } | undefined {
  let found: { name: string; detail: string } | undefined;
  for (const line of log.split('\n')) {
    const m = ABORTED.exec(line);
    if (m) found = { name: m[1]!, detail: m[2]! };
  }
  return found;
}

/**
 * What is known about why `name` was not used, most specific first; `otherwise` when nothing names it (e.g.
 * PostgreSQL's own words on the restore_command status).
 */
export function whyNotUsed(
  name: string,
  ev: StopEvidence,
  otherwise?: string,
): { problem: WalProblem | undefined; why: string } {
  const problem = ev.problems.get(name) ?? damagedInLog(ev.log).get(name);
  if (problem?.damaged) return { problem, why: `the archived object is damaged: ${problem.reason}` };
  const lines = ev.log.split('\n');
  const said = lines
    .map((l) => PGDR_ERROR.exec(l))
    .filter((m) => m?.[2] === name)
    .at(-1);
  if (said) return { problem, why: `restore_command failed: ${said[1]}` };
  if (problem) return { problem, why: `it could not be fetched: ${problem.reason}` };
  if (otherwise !== undefined) return { problem, why: otherwise };
  const unreadable = lines
    .map((l) => UNREADABLE.exec(l))
    .filter((m) => m !== null)
    .at(-1);
  if (unreadable) return { problem, why: `PostgreSQL found no valid WAL record there: ${unreadable[1]}` };
  return { problem, why: `PostgreSQL did not restore it (see ${ev.logFile})` };
}

const KEEP = (dir: string) => `the data folder ${dir} is left as it is`;

/**
 * A RECOVERY_FAILED that names the object, for a server that stopped during recovery; undefined when the log
 * holds nothing more specific than what waitForTarget said.
 */
export function explainStop(
  o: { wal: Pick<WalRange, 'objects' | 'to'>; segSize: number; dir: string },
  ev: StopEvidence,
): PgdrError | undefined {
  const aborted = abortedRestore(ev.log);
  if (aborted !== undefined) {
    const { problem, why } = whyNotUsed(aborted.name, ev, `restore_command failed: ${aborted.detail}`);
    const key = problem?.key ?? o.wal.objects.find((x) => (x.segmentName ?? x.name) === aborted.name)?.key;
    const what = key === undefined ? `WAL file ${aborted.name}` : `WAL file ${aborted.name} (${key})`;
    const instead = aborted.name.endsWith('.history')
      ? 'or remove it if no server runs on that timeline'
      : 'or restore to a target before it';
    return new PgdrError('RECOVERY_FAILED', `recovery stopped at ${what}: ${why}`, {
      hint: `PostgreSQL cannot replay past it, so it did not promote without the WAL after it. Put a good copy of ${key ?? 'the object'} back (e.g. from the source server's pg_wal) and restore again into an empty folder, ${instead}; ${KEEP(o.dir)}.`,
      details: { wal: aborted.name, key, reason: problem?.reason ?? aborted.detail },
    });
  }
  if (!/recovery ended before configured recovery target was reached/.test(ev.log)) return undefined;
  const redo = [...ev.log.matchAll(new RegExp(REDO_DONE, 'g'))].at(-1)?.[1];
  if (redo === undefined) return undefined;
  // "redo done at" gives the start of the last record replayed, which may end in a later segment: the one
  // PostgreSQL could not read a record in, else the first after it that the log does not show restored.
  const seg = BigInt(o.segSize);
  const after = planned(o.wal, o.segSize).filter((s) => s.start > (parseLsn(redo) / seg) * seg);
  const at = unreadableAt(ev.log);
  const restored = new Set([...ev.log.matchAll(RESTORED)].map((m) => m[1]));
  const next =
    (at === undefined ? undefined : after.find((s) => s.start / seg === at / seg)) ??
    after.find((s) => !restored.has(s.name)) ??
    after[0];
  if (next === undefined) return undefined;
  const { why } = whyNotUsed(next.name, ev);
  return new PgdrError(
    'RECOVERY_FAILED',
    `recovery ended at ${redo}, before the target and before WAL segment ${next.name} (${next.key}): ${why}`,
    {
      hint: `the archive holds the WAL up to ${o.wal.to} that the plan needs; put a good copy of ${next.key} back and restore again into an empty folder, or choose a target before it; ${KEEP(o.dir)}.`,
      details: { wal: next.name, key: next.key },
    },
  );
}

/**
 * For a restore to the end of the archive that promoted: the error when replay ended before the plan's last
 * segment, naming the first one it did not use.
 */
export function shortReplay(
  o: { wal: Pick<WalRange, 'objects' | 'to'>; segSize: number; dir: string; replayLsn: string },
  ev: StopEvidence,
): PgdrError | undefined {
  const end = parseLsn(o.replayLsn);
  const next = firstUnreplayed(o.wal, o.segSize, end);
  if (next === undefined) return undefined;
  const { problem, why } = whyNotUsed(next.name, ev);
  return new PgdrError(
    'RECOVERY_FAILED',
    `recovery ended at ${formatLsn(end)}, before WAL segment ${next.name} (${problem?.key ?? next.key}): ${why}`,
    {
      hint: `the archive holds ${next.after + 1} planned segment(s) from ${next.name} to ${o.wal.to} that were not replayed; PostgreSQL took the failure for the end of the archive and promoted without them, so pgdr stopped the server. Put a good copy back and restore again into an empty folder; ${KEEP(o.dir)} (promoted at ${formatLsn(end)}: start it yourself only to accept the data up to there).`,
      details: { wal: next.name, key: problem?.key ?? next.key, replayedTo: formatLsn(end) },
    },
  );
}
