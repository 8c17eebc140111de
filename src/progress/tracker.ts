// Turns measured events into what every renderer shows: percent, rate and ETA per task, the rate averaged
// since the task's first event (a task starts at its first event, so the first one has no rate yet).
import type { BytesEvent, ItemsEvent, LsnEvent } from './events.js';
import { lsnBytes } from './events.js';
import { bytes, eta, percent, rate } from './format.js';

export type MeasuredEvent = BytesEvent | ItemsEvent | LsnEvent;

export interface Measure {
  readonly event: MeasuredEvent;
  /** The task was seen for the first time. */
  readonly first: boolean;
  /** Done reached the total. */
  readonly finished: boolean;
  readonly percent: number | null;
  /** Bytes (of WAL for replay) or items per second. */
  readonly rate: number | null;
  readonly etaSeconds: number | null;
}

interface Task {
  readonly startMs: number;
  readonly startDone: number;
}

export class Tracker {
  private readonly tasks = new Map<string, Task>();

  measure(e: MeasuredEvent, nowMs: number): Measure {
    const { done, total } = amounts(e);
    let task = this.tasks.get(e.task);
    const first = task === undefined;
    if (task === undefined) {
      task = { startMs: nowMs, startDone: done };
      this.tasks.set(e.task, task);
    }
    const secs = (nowMs - task.startMs) / 1000;
    const r = secs > 0 ? (done - task.startDone) / secs : null;
    const left = total === null ? null : Math.max(0, total - done);
    const finished = left === 0;
    const etaSeconds = finished ? 0 : left === null || r === null || r <= 0 ? null : left / r;
    // Replay's percentage counts from where this run found it: the LSN it started from is not 0.
    const pct =
      e.type === 'lsn'
        ? total === null
          ? null
          : total <= task.startDone
            ? 100
            : percent(done - task.startDone, total - task.startDone)
        : percent(done, total);
    return { event: e, first, finished, percent: pct, rate: r, etaSeconds };
  }
}

function amounts(e: MeasuredEvent): { done: number; total: number | null } {
  if (e.type !== 'lsn') return { done: e.done, total: e.total };
  const target = e.target === null ? Number.NaN : lsnBytes(e.target);
  return { done: lsnBytes(e.lsn), total: Number.isNaN(target) ? null : target };
}

// Rounded down: 100% only once done.
const pct = (p: number | null) => (p === null ? '' : ` (${Math.floor(p)}%)`);

/** One line of text: `task: 12.0 MiB / 48.2 MiB (25%), 6.0 MiB/s, ETA 6s`. */
export function describe(m: Measure): string {
  const e = m.event;
  if (e.type === 'bytes') {
    const of = e.total === null ? '' : ` / ${bytes(e.total)}`;
    return `${e.task}: ${bytes(e.done)}${of}${pct(m.percent)}, ${rate(m.rate)}, ${eta(m.etaSeconds)}`;
  }
  if (e.type === 'items') {
    const of = e.total === null ? '' : ` / ${e.total}`;
    const failed = e.failures === undefined ? '' : `, ${e.failures} failure(s)`;
    return `${e.task}: ${e.done}${of} ${e.unit}${pct(m.percent)}${failed}, ${rate(m.rate, e.unit)}, ${eta(m.etaSeconds)}`;
  }
  const of = e.target === null ? '' : ` of ${e.target}`;
  const segs = e.segmentsLeft === null ? '' : `, ${e.segmentsLeft} segment(s) left`;
  return `${e.task}: LSN ${e.lsn}${of}${pct(m.percent)}${segs}, ${rate(m.rate)}, ${eta(m.etaSeconds)}`;
}

const round = (n: number | null, digits: number) =>
  n === null || !Number.isFinite(n) ? null : Math.round(n * 10 ** digits) / 10 ** digits;

/** The JSON-lines fields of a measured event (the README documents them). */
export function measureJson(m: Measure): Record<string, unknown> {
  const e = m.event;
  const common = {
    percent: round(m.percent, 1),
    rate: round(m.rate, 1),
    eta_seconds: round(m.etaSeconds, 1),
    finished: m.finished,
  };
  if (e.type === 'bytes') return { event: 'bytes', task: e.task, done: e.done, total: e.total, ...common };
  if (e.type === 'items') {
    return {
      event: 'items',
      task: e.task,
      unit: e.unit,
      done: e.done,
      total: e.total,
      ...(e.failures === undefined ? {} : { failures: e.failures }),
      ...common,
    };
  }
  return {
    event: 'lsn',
    task: e.task,
    lsn: e.lsn,
    target_lsn: e.target,
    segments_left: e.segmentsLeft,
    ...common,
  };
}
