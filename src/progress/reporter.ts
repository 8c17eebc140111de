// The three ways progress is shown, behind one ProgressSink: `lines` (a timestamped line per task at most
// every interval, for logs and pipes), `json` (the same events as JSON lines) and `bar` (one line redrawn in
// place on a terminal). `quiet` shows nothing. Every renderer writes to the one stream it is given.
import type { ProgressEvent, ProgressSink, StageEvent } from './events.js';
import { clearLine } from './redraw.js';
import { Throttle } from './throttle.js';
import { describe, type Measure, measureJson, Tracker } from './tracker.js';

interface TextStream {
  write(text: string): unknown;
}

export type ProgressMode = 'bar' | 'lines' | 'json' | 'quiet';

export interface ReporterOptions {
  readonly mode: ProgressMode;
  readonly out: TextStream;
  /** lines and json: the least time between two reports of one task (0: every event). */
  readonly intervalMs: number;
  /** Show the stage notes marked verbose. */
  readonly verbose: boolean;
  /** bar: ANSI colour and line clearing; off (NO_COLOR) the bar is redrawn with carriage returns only. */
  readonly colour: boolean;
  /** bar: the terminal's width. */
  readonly columns?: number | undefined;
  /** Milliseconds since the epoch (tests pass their own clock). */
  readonly now?: () => number;
  /** lines and json: runs fn after ms; tests pass their own to fire it by hand. */
  readonly schedule?: Schedule;
}

/** Starts a timer; the returned function cancels it. */
type Schedule = (fn: () => void, ms: number) => () => void;

const realSchedule: Schedule = (fn, ms) => {
  const t = setTimeout(fn, ms);
  // A pending heartbeat must never keep a finished command alive.
  t.unref();
  return () => clearTimeout(t);
};

export interface Reporter extends ProgressSink {
  /** Takes a bar off the screen; call before printing the result. */
  close(): void;
}

export function createReporter(o: ReporterOptions): Reporter {
  if (o.mode === 'quiet') return { emit: () => undefined, close: () => undefined };
  const now = o.now ?? Date.now;
  const tracker = new Tracker();
  const shown = (e: StageEvent) => o.verbose || e.verbose !== true;
  if (o.mode === 'bar') return new Bar(o, now, tracker, shown);
  const throttle = new Throttle(o.intervalMs);
  const ts = () => new Date(now()).toISOString();
  const heartbeat = new Heartbeat(o, now, ts);
  return {
    emit(e: ProgressEvent) {
      if (e.type === 'stage') {
        if (!shown(e)) return;
        if (o.mode === 'json')
          o.out.write(`${JSON.stringify({ time: ts(), event: 'stage', message: e.message })}\n`);
        else o.out.write(`${ts()} ${e.message}\n`);
        heartbeat.stage(e.message);
        return;
      }
      const m = tracker.measure(e, now());
      heartbeat.event();
      if (!throttle.due(m, now())) return;
      if (o.mode === 'json') o.out.write(`${JSON.stringify({ time: ts(), ...measureJson(m) })}\n`);
      else o.out.write(`${ts()} ${describe(m)}\n`);
      heartbeat.wrote();
    },
    close: () => heartbeat.stop(),
  };
}

/**
 * A stage with no progress events of its own (syncing files, PostgreSQL start-up, the end-of-recovery checkpoint)
 * would leave a log silent for as long as it lasts; a log reader must tell a slow step from a hung one, so a line
 * saying the stage is still running comes every interval until the next report.
 */
class Heartbeat {
  private current: { message: string; since: number } | undefined;
  private lastEvent = Number.NEGATIVE_INFINITY;
  private cancel: (() => void) | undefined;
  private readonly schedule: Schedule;

  constructor(
    private readonly o: ReporterOptions,
    private readonly now: () => number,
    private readonly ts: () => string,
  ) {
    this.schedule = o.schedule ?? realSchedule;
  }

  stage(message: string): void {
    this.current = { message, since: this.now() };
    this.wrote();
  }

  /** A task still reporting gets its own lines from the throttle: the heartbeat waits behind it. */
  event(): void {
    this.lastEvent = this.now();
  }

  wrote(): void {
    this.cancel?.();
    this.cancel = undefined;
    if (this.o.intervalMs <= 0 || this.current === undefined) return;
    this.cancel = this.schedule(() => this.beat(), this.o.intervalMs);
  }

  stop(): void {
    this.cancel?.();
    this.cancel = undefined;
    this.current = undefined;
  }

  private beat(): void {
    const c = this.current;
    if (c === undefined) return;
    const quiet = this.now() - this.lastEvent;
    if (quiet < this.o.intervalMs) {
      this.cancel = this.schedule(() => this.beat(), this.o.intervalMs - quiet);
      return;
    }
    const seconds = Math.round((this.now() - c.since) / 1000);
    if (this.o.mode === 'json') {
      this.o.out.write(
        `${JSON.stringify({ time: this.ts(), event: 'still', message: c.message, elapsed_seconds: seconds })}\n`,
      );
    } else this.o.out.write(`${this.ts()} still working, ${seconds}s since: ${c.message}\n`);
    this.wrote();
  }
}

/** Redraws at most this often: a terminal needs no more, and each redraw costs a write. */
const REDRAW_MS = 100;
/** The bar leaves a task for another once the first has reported nothing for this long. */
const STICK_MS = 1000;
const BAR_WIDTH = 20;

class Bar implements Reporter {
  private drawn = 0;
  private current: Measure | undefined;
  private lastDraw = 0;
  private currentSeen = 0;

  constructor(
    private readonly o: ReporterOptions,
    private readonly now: () => number,
    private readonly tracker: Tracker,
    private readonly shown: (e: StageEvent) => boolean,
  ) {}

  emit(e: ProgressEvent): void {
    if (e.type === 'stage') {
      if (!this.shown(e)) return;
      this.clear();
      this.o.out.write(`${e.message}\n`);
      if (this.current) this.draw(this.current);
      return;
    }
    const t = this.now();
    const m = this.tracker.measure(e, t);
    if (m.finished) {
      // A finished task keeps its last line; the next task's bar starts below it.
      this.clear();
      this.o.out.write(`${describe(m)}\n`);
      if (this.current?.event.task === e.task) this.current = undefined;
      return;
    }
    // Tasks running side by side (PGDATA and a tablespace) share the one line: it follows one task while that
    // one moves, and another once it has been still for a while.
    const mine = this.current === undefined || this.current.event.task === e.task;
    if (!mine && t - this.currentSeen < STICK_MS) return;
    this.current = m;
    this.currentSeen = t;
    if (mine && !m.first && t - this.lastDraw < REDRAW_MS) return;
    this.lastDraw = t;
    this.draw(m);
  }

  close(): void {
    this.clear();
    this.current = undefined;
  }

  private draw(m: Measure): void {
    const fill = Math.round(((m.percent ?? 0) / 100) * BAR_WIDTH);
    const filled = '#'.repeat(fill);
    const rest = '.'.repeat(BAR_WIDTH - fill);
    const text = describe(m);
    // A pseudo-terminal may report 0 columns.
    const width = Math.max(20, (this.o.columns || 100) - 1);
    const plain = `[${filled}${rest}] ${text}`.slice(0, width);
    this.clear();
    const bar = this.o.colour ? `[\x1b[32m${filled}\x1b[0m${rest}]${plain.slice(BAR_WIDTH + 2)}` : plain;
    this.o.out.write(bar);
    this.drawn = plain.length;
  }

  private clear(): void {
    if (this.drawn === 0) return;
    this.o.out.write(clearLine(this.drawn, this.o.colour));
    this.drawn = 0;
  }
}
