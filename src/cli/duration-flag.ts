// Duration flags (`--max-wal-age 6m`, `--rto 30m`) of the commands that judge ages against objectives.

import { parseDuration } from '../common/duration.js';
import { PgdrError } from '../errors.js';
import { type Parsed, str } from './args.js';

/** Milliseconds, or undefined when the flag is absent; a USAGE error naming the command otherwise. */
export function durationFlag(p: Parsed, name: string, command: string): number | undefined {
  const text = str(p, name);
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) {
    throw new PgdrError(
      'USAGE',
      `${command}: --${name} must be a duration like 90s, 5m, 26h, 2d (got '${text}')`,
      {
        hint: `see: pgdr ${command} --help`,
      },
    );
  }
  return ms;
}
