// The deadlines of one S3 request attempt (objectStore.timeouts): connecting, sending, the answer's headers and
// a buffered body, and the request as a whole across its retries. A socket-inactivity limit alone lets a server
// that trickles one byte now and then hold a call for ever; these bound the attempt's total time.
import type { ClientRequest, IncomingMessage } from 'node:http';

export type Deadline = 'connect' | 'request' | 'operation';
/** Where the attempt was when a deadline passed: before any answer is STORE_UNREACHABLE, in the body STORE_ERROR. */
export type Phase = 'connect' | 'send' | 'answer' | 'body';

/** A streamed body must bring at least this much in every `request` period, or it counts as stalled. */
export const MIN_PROGRESS_BYTES = 64 * 1024;

export class DeadlineExceeded extends Error {
  readonly code = 'PGDR_TIMEOUT';
  constructor(
    readonly deadline: Deadline,
    readonly ms: number,
    readonly phase: Phase,
    /** A streamed body that brought less than MIN_PROGRESS_BYTES in `ms`. */
    readonly stalled = false,
  ) {
    super(`${deadline} deadline of ${ms} ms passed (${phase})`);
    this.name = 'DeadlineExceeded';
  }
}

export function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

export interface AttemptLimits {
  readonly connectMs: number;
  readonly requestMs: number;
  /** Time left before the request's overall deadline (objectStore.timeouts.operation). */
  readonly operationLeftMs: number;
  readonly operationMs: number;
}

/** Arms the timers of one attempt on its ClientRequest; `release` hands a streamed body over to its reader. */
export class AttemptWatch {
  phase: Phase = 'connect';
  private readonly timers = new Set<NodeJS.Timeout>();
  private req: ClientRequest | undefined;
  private res: IncomingMessage | undefined;
  private released = false;

  constructor(private readonly limits: AttemptLimits) {}

  watch(r: ClientRequest): void {
    this.req = r;
    const l = this.limits;
    this.after(l.operationLeftMs, () => new DeadlineExceeded('operation', l.operationMs, this.phase));
    r.on('socket', (socket) => {
      if (!socket.connecting) {
        if (this.phase === 'connect') this.phase = 'send';
        return;
      }
      const t = this.after(l.connectMs, () => new DeadlineExceeded('connect', l.connectMs, 'connect'));
      socket.once('connect', () => {
        this.clear(t);
        if (this.phase === 'connect') this.phase = 'send';
      });
    });
    // Sending is bounded by inactivity (a large part may take long on a slow link, but never stalls); once it is
    // sent, the whole answer must come within the request deadline.
    r.setTimeout(l.requestMs, () => this.fire(new DeadlineExceeded('request', l.requestMs, this.phase)));
    r.on('finish', () => {
      if (this.phase !== 'body') this.phase = 'answer';
      this.after(l.requestMs, () => new DeadlineExceeded('request', l.requestMs, this.phase));
    });
    r.on('response', (res) => {
      this.res = res;
      this.phase = 'body';
    });
  }

  /** The caller reads the body itself from now on: no timer of this attempt may cut it. */
  release(): void {
    this.released = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.req?.setTimeout(0);
  }

  private after(ms: number, make: () => DeadlineExceeded): NodeJS.Timeout | undefined {
    // A request's 'finish' can come after its answer was taken and the attempt released: a timer armed then
    // would cut nothing, yet hold the process up to the request deadline after its work is done.
    if (this.released) return undefined;
    const t = setTimeout(() => this.fire(make()), Math.max(0, ms));
    this.timers.add(t);
    return t;
  }

  private clear(t: NodeJS.Timeout | undefined): void {
    if (t === undefined) return;
    clearTimeout(t);
    this.timers.delete(t);
  }

  private fire(e: DeadlineExceeded): void {
    this.release();
    // Both: the request rejects the attempt before an answer, the response fails a body being read.
    this.res?.destroy(e);
    this.req?.destroy(e);
  }
}
