// `pgdr wal verify`: reads every WAL object of a server (or one timeline) without restoring anything. Each
// segment and .partial is walked page by page and record by record (segment-check.ts), a few at a time, then
// records crossing objects are joined (record-join.ts) and what only the whole archive can tell is checked:
// one system identifier, one PostgreSQL major, history files that agree, .partial files that hold the WAL
// up to where a child timeline branches off. The store is only read.
import { availableParallelism } from 'node:os';
import {
  type AncestrySpan,
  type TimelineHistory,
  timelineAncestry,
  timelineAt,
} from '../../catalog/timeline-history.js';
import { listWal, type WalCatalog, type WalObject } from '../../catalog/wal-catalog.js';
import { formatLsn, historyFileName, walKey } from '../../catalog/wal-name.js';
import { mapLimit } from '../../common/map-limit.js';
import { PgdrError } from '../../errors.js';
import type { ObjectStore, ServerTarget } from '../../storage/object-store.js';
import { readOnlyStore } from '../read-only-store.js';
import { agreement, type Fail, neighbours, partialsReachSwitchpoints } from './archive-checks.js';
import { joinRecords } from './record-join.js';
import { walReference } from './reference.js';
import type { TimelineCounts, WalVerifyFailure, WalVerifyProgress, WalVerifyReport } from './report.js';
import { checkSegment, type SegmentCheck } from './segment-check.js';
import { backupLabelProblem, checkHistory, historyDisagreement, readWalText } from './text-checks.js';

export interface WalVerifyOptions extends ServerTarget {
  readonly timeline?: number | undefined;
  /** Objects checked at a time (default: the number of cores). */
  readonly concurrency?: number | undefined;
  readonly onProgress?: ((p: WalVerifyProgress) => void) | undefined;
}

export async function verifyWal(o: WalVerifyOptions): Promise<WalVerifyReport> {
  const store = readOnlyStore(o.store);
  const signal = o.signal;
  const wal = await listWal(store, o.serverName, { signal });
  if (wal.objects.length === 0) {
    throw new PgdrError('NO_BACKUPS', `no WAL under ${o.serverName}/wals/ in ${store.displayUrl}`, {
      hint: 'check serverName and the destination path',
    });
  }
  const inScope = (x: WalObject) => o.timeline === undefined || x.timeline === o.timeline;
  const scoped = wal.objects.filter(inScope);
  if (scoped.length === 0) {
    throw new PgdrError('NOT_FOUND', `timeline ${o.timeline} has no WAL in the archive of ${o.serverName}`);
  }
  const ref = await walReference(store, o.serverName, wal, signal);
  const segSize = ref.segSize;
  const failures: WalVerifyFailure[] = [];
  const fail = (obj: WalObject, message: string, lsn?: bigint, segStart?: bigint) => {
    const inside = lsn !== undefined && segStart !== undefined && segStart >= 0n && lsn >= segStart;
    failures.push({
      key: obj.key,
      timeline: obj.timeline,
      ...(lsn === undefined ? {} : { lsn: formatLsn(lsn) }),
      ...(inside ? { offset: Number(lsn - segStart) } : {}),
      message,
    });
  };
  let done = 0;
  let bytes = 0;
  const tick = (obj: WalObject) => {
    done++;
    bytes += obj.size;
    o.onProgress?.({ done, total: scoped.length, bytes, failures: failures.length });
  };

  const histories = await readHistories(store, wal, segSize, { inScope, fail, tick, signal });
  for (const obj of scoped.filter((x) => x.kind === 'backup-label')) {
    const read = await readWalText(store, obj, signal);
    const problem = 'text' in read ? backupLabelProblem(read.text, obj.name, segSize) : read.problem;
    if (problem !== undefined) fail(obj, `backup label: ${problem}`);
    tick(obj);
  }
  for (const t of wal.timelines.values()) {
    if (
      t.timeline > 1 &&
      !t.history &&
      (t.segments.length > 0 || t.partials.length > 0) &&
      inScope(t.segments[0] ?? t.partials[0]!)
    ) {
      const key = walKey(o.serverName, historyFileName(t.timeline));
      failures.push({
        key,
        timeline: t.timeline,
        message: `missing: without it recovery cannot follow timeline ${t.timeline} from a backup of an earlier timeline`,
      });
    }
  }

  const spans = new Map<number, AncestrySpan[]>();
  const spansOf = (tli: number) => {
    const known = spans.get(tli);
    if (known) return known;
    const s = timelineAncestry(tli, histories.get(tli), segSize);
    spans.set(tli, s);
    return s;
  };
  const segments = scoped.filter((x) => x.kind === 'segment' || x.kind === 'partial');
  const concurrency = Math.max(1, o.concurrency ?? availableParallelism());
  const checks = await mapLimit(segments, concurrency, async (obj) => {
    const c = await checkSegment(store, obj, {
      segSize,
      expectedTli: (addr) => timelineAt(spansOf(obj.timeline), addr),
      signal,
    });
    for (const p of c.problems) fail(obj, p.message, p.lsn, c.segStart);
    for (const f of c.walk?.failures ?? []) fail(obj, f.message, f.lsn, c.segStart);
    tick(obj);
    return c;
  });
  const joined = joinRecords(checks, neighbours(checks, segSize, spansOf));
  for (const f of joined.failures) fail(f.check.object, f.message, f.lsn, f.check.segStart);
  agreement(checks, ref, fail);
  partialsReachSwitchpoints(checks, histories, segSize, fail);

  failures.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : (a.offset ?? -1) - (b.offset ?? -1)));
  return {
    serverName: o.serverName,
    timeline: o.timeline ?? null,
    segmentSize: segSize,
    reference: ref.source,
    systemIdentifier: ref.sysid?.toString() ?? null,
    postgresMajor: ref.major ?? null,
    timelines: counts(scoped, checks, joined, failures),
    failures,
    skipped: wal.unknown.map((u) => ({ key: u.key, reason: u.reason })),
    ok: failures.length === 0,
  };
}

async function readHistories(
  store: ObjectStore,
  wal: WalCatalog,
  segSize: number,
  c: {
    inScope: (x: WalObject) => boolean;
    fail: Fail;
    tick: (x: WalObject) => void;
    signal?: AbortSignal | undefined;
  },
): Promise<Map<number, TimelineHistory>> {
  const histories = new Map<number, TimelineHistory>();
  const files = [...wal.timelines.values()].flatMap((t) => (t.history ? [t.history] : []));
  // Every history, in scope or not: the ancestry of the timelines checked needs them.
  await mapLimit(files, 8, async (obj) => {
    const read = await readWalText(store, obj, c.signal);
    const r = 'text' in read ? checkHistory(read.text, obj.timeline, segSize) : read;
    if ('history' in r) histories.set(obj.timeline, r.history);
    else if (c.inScope(obj)) c.fail(obj, `history file: ${r.problem}`);
    if (c.inScope(obj)) c.tick(obj);
  });
  for (const obj of files.filter(c.inScope)) {
    const child = histories.get(obj.timeline);
    const parent = child?.entries.at(-1)?.parentTimeline;
    const problem =
      child && parent !== undefined ? historyDisagreement(child, histories.get(parent)) : undefined;
    if (problem !== undefined) c.fail(obj, `history file: ${problem}`);
  }
  return histories;
}

function counts(
  scoped: readonly WalObject[],
  checks: readonly SegmentCheck[],
  joined: ReturnType<typeof joinRecords>,
  failures: readonly WalVerifyFailure[],
): TimelineCounts[] {
  const byTli = new Map<number, { -readonly [K in keyof TimelineCounts]: TimelineCounts[K] }>();
  const of = (tli: number) => {
    let t = byTli.get(tli);
    if (!t) {
      t = {
        timeline: tli,
        segments: 0,
        partials: 0,
        historyFiles: 0,
        backupLabels: 0,
        records: 0,
        bad: 0,
        unchecked: 0,
      };
      byTli.set(tli, t);
    }
    return t;
  };
  for (const x of scoped) {
    const t = of(x.timeline);
    if (x.kind === 'segment') t.segments++;
    else if (x.kind === 'partial') t.partials++;
    else if (x.kind === 'history') t.historyFiles++;
    else t.backupLabels++;
  }
  for (const c of checks)
    of(c.object.timeline).records += (c.walk?.records ?? 0) + (joined.records.get(c.object.key) ?? 0);
  for (const [tli, n] of joined.unchecked) of(tli).unchecked += n;
  const bad = new Map<string, number>();
  for (const f of failures) bad.set(f.key, f.timeline);
  for (const tli of bad.values()) of(tli).bad++;
  return [...byTli.values()].sort((a, b) => a.timeline - b.timeline);
}
