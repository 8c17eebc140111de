// What the demo shows while it works. On a terminal, a step is one line that updates in place (elapsed time and
// what it is waiting for) and is replaced by its outcome; elsewhere (CI logs, pipes) plain lines only, one when
// a step starts and one when it ends, so a log shows where a slow or stuck step is.
import type { Writable } from 'node:stream';
import { StepRunner } from '../common/steps.js';
import { clearLine } from '../progress/redraw.js';

export type Update = (status: string) => void;

export class Progress {
  constructor(
    private readonly out: Writable,
    private readonly tty: boolean,
    /** Escape codes allowed (not NO_COLOR): without, the line is rewritten with spaces. */
    private readonly ansi = true,
  ) {}

  /** Visible characters of the step line on screen. */
  private drawn = 0;

  /** Where the current scenario's steps are recorded (each label is a step). */
  private steps = new StepRunner();

  /** Starts recording a new scenario's steps and returns their runner. */
  newScenario(): StepRunner {
    this.steps = new StepRunner();
    return this.steps;
  }

  private redraw(text: string, end = ''): void {
    this.out.write(`${clearLine(this.drawn, this.ansi)}${text}${end}`);
    this.drawn = end ? 0 : text.length;
  }

  line(text = ''): void {
    this.out.write(`${text}\n`);
  }

  heading(title: string, explanation: string): void {
    this.line();
    this.line(`== ${title}`);
    this.line(`   ${explanation}`);
  }

  /** A fact worth a line of its own, under the current scenario. */
  fact(text: string): void {
    this.line(`   ${text}`);
  }

  async step<T>(label: string, fn: (update: Update) => Promise<T>): Promise<T> {
    const t0 = performance.now();
    const secs = () => ((performance.now() - t0) / 1000).toFixed(1);
    const steps = this.steps;
    let status = '';
    // Cut to the terminal's width: a wrapped line cannot be rewritten in place.
    const width = Math.max(20, ((this.out as { columns?: number }).columns ?? 100) - 1);
    const render = () =>
      this.redraw(`   ... ${label} ${secs()} s${status ? ` (${status})` : ''}`.slice(0, width));
    let timer: NodeJS.Timeout | undefined;
    if (this.tty) {
      render();
      timer = setInterval(render, 200);
    } else this.line(`   ... ${label}`);
    const update: Update = (s) => {
      status = s;
      if (this.tty) render();
    };
    const end = (mark: string) => {
      if (timer) clearInterval(timer);
      const ms = steps.results.at(-1)?.durationMs;
      const text = `   ${mark} ${label} (${ms === undefined ? secs() : (ms / 1000).toFixed(1)} s)`;
      if (this.tty) this.redraw(text, '\n');
      else this.line(text);
    };
    try {
      const v = await steps.runOrThrow(label, () => fn(update), { title: label });
      end('ok ');
      return v;
    } catch (e) {
      end('FAILED');
      throw e;
    }
  }
}
