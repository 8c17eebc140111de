// Progress at the CLI edge: the flags every long command takes and the renderer they choose. On a terminal
// (stderr, where progress goes) a bar; elsewhere a timestamped line per task every --progress-interval;
// with --log-format json, JSON lines. -q shows none of it, -v adds the detailed notes.

import { parseDuration } from '../common/duration.js';
import { PgdrError } from '../errors.js';
import { colourVerdicts } from '../progress/colour.js';
import { createReporter, type ProgressMode, type Reporter } from '../progress/reporter.js';
import { type FlagSpec, flag, oneOf, type Parsed, str } from './args.js';
import type { CliContext } from './main.js';

export const PROGRESS_FLAGS: FlagSpec = {
  'progress-interval': { type: 'string' },
  'log-format': { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  verbose: { type: 'boolean', short: 'v' },
};

const DEFAULT_INTERVAL_MS = 10_000;

export const PROGRESS_USAGE = `Progress goes to stderr: a bar on a terminal, else a timestamped line per task at most every
--progress-interval (bytes or items done of the total, rate, ETA; replay: LSN of the target, segments left).
  --progress-interval D      time between two progress lines of a task (default 10s; 0 prints every update)
  --log-format text|json     json: progress as JSON lines on stderr, one object per event
  -q, --quiet                no progress: only the result and errors
  -v, --verbose              more detail (a line per tar and stage note)
NO_COLOR set: no colours and no escape codes.`;

/** Where progress goes is a terminal (stderr, not stdout: the result may be piped while progress is watched). */
function stderrTerminal(ctx: CliContext): boolean {
  return (ctx.stderr as { isTTY?: boolean }).isTTY === true && ctx.env.TERM !== 'dumb';
}

/** NO_COLOR (no-color.org): set and not empty turns colour off. */
export function noColor(ctx: CliContext): boolean {
  return (ctx.env.NO_COLOR ?? '') !== '';
}

/** Colour for the result on stdout (verdicts): on a terminal, unless NO_COLOR. */
function resultColour(ctx: CliContext): boolean {
  return ctx.isTTY && !noColor(ctx) && ctx.env.TERM !== 'dumb';
}

/** A report's text with its verdicts (PASS, WARN, FAIL) in colour when it goes to a terminal. */
export function verdictText(ctx: CliContext, text: string): string {
  return resultColour(ctx) ? colourVerdicts(text) : text;
}

export function progressReporter(p: Parsed, ctx: CliContext, command: string): Reporter {
  const text = str(p, 'progress-interval');
  const intervalMs = text === undefined ? DEFAULT_INTERVAL_MS : parseDuration(text);
  if (intervalMs === undefined) {
    throw new PgdrError(
      'USAGE',
      `${command}: --progress-interval must be a duration like 500ms, 10s, 1m (got '${text}')`,
      { hint: `see: pgdr ${command} --help` },
    );
  }
  const json = oneOf(p, 'log-format', ['text', 'json'] as const, 'text', command) === 'json';
  if (flag(p, 'quiet') && flag(p, 'verbose')) {
    throw new PgdrError('USAGE', `${command}: -q/--quiet and -v/--verbose contradict each other`, {
      hint: 'give one of them',
    });
  }
  const tty = stderrTerminal(ctx);
  const mode: ProgressMode = flag(p, 'quiet') ? 'quiet' : json ? 'json' : tty ? 'bar' : 'lines';
  return createReporter({
    mode,
    out: ctx.stderr,
    intervalMs,
    verbose: flag(p, 'verbose'),
    colour: !noColor(ctx),
    columns: (ctx.stderr as { columns?: number }).columns,
  });
}
