// `--format json` on the error path: the error as JSON on stdout (main.ts still prints it on stderr and sets
// the exit code), so a script reading stdout always gets JSON:
//   {"error": {"code": 13, "name": "NO_BACKUPS", "message": "...", "hint": "..." | null, "details": {...}}}
// code is the exit code, name the error's name in `pgdr help`; details is plain data, never secrets.
import { asPgdrError } from '../errors.js';
import { json, type Out } from './output.js';

/** The ways to ask for JSON: --format json, -o json (and --output json, the older k8s manifests spelling). */
const JSON_FLAGS = ['--format', '-o', '--output'];

/** Whether argv asks for JSON, read before the flags are parsed (a usage error is reported as JSON too). */
export function wantsJson(argv: readonly string[]): boolean {
  return argv.some(
    (a, i) =>
      a === '--format=json' ||
      a === '--output=json' ||
      a === '-ojson' ||
      (JSON_FLAGS.includes(a) && argv[i + 1] === 'json'),
  );
}

export function jsonError(e: unknown): Record<string, unknown> {
  const err = asPgdrError(e);
  return {
    code: err.exitCode,
    name: err.code,
    message: err.message,
    hint: err.hint ?? null,
    details: err.details ?? {},
  };
}

export function printJsonError(out: Out, e: unknown): void {
  json(out, { error: jsonError(e) });
}
