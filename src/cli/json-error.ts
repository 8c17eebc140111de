// `--format json` on the error path: the error as JSON on stdout (main.ts still prints it on stderr and sets
// the exit code), so a script reading stdout always gets JSON.
import { asPgdrError } from '../errors.js';
import { json, type Out } from './output.js';

/** Whether argv asks for JSON, read before the flags are parsed (a usage error is reported as JSON too). */
export function wantsJson(argv: readonly string[]): boolean {
  return argv.some((a, i) => a === '--format=json' || (a === '--format' && argv[i + 1] === 'json'));
}

export function printJsonError(out: Out, e: unknown): void {
  const err = asPgdrError(e);
  json(out, {
    error: { code: err.code, message: err.message, hint: err.hint ?? null, details: err.details ?? {} },
  });
}
