// Flags a user may put before the command, as with git and kubectl (`pgdr --config x.yaml status`,
// `pgdr -o json backup list`). They are moved after the command word(s), where each command parses them; so a
// command that does not take one refuses it as it would after the command.
import { PgdrError } from '../errors.js';

/** Long names and their short forms; all take a value. */
const GLOBAL_FLAGS: Readonly<Record<string, string | undefined>> = {
  config: 'c',
  'server-name': undefined,
  'destination-path': undefined,
  'endpoint-url': undefined,
  format: 'o',
};
const SHORT = new Map(
  Object.entries(GLOBAL_FLAGS).flatMap(([long, short]) => (short ? [[short, long] as const] : [])),
);

export const GLOBAL_FLAGS_USAGE =
  'Global flags (before or after the command): -c/--config FILE, --server-name NAME, --destination-path URL,\n' +
  '--endpoint-url URL, -o/--format FORMAT (e.g. pgdr --config x.yaml status, pgdr -o json backup list).';

/**
 * Splits the leading global flags off argv: `globals` holds them as `--name=value`, `rest` starts at the
 * command (or at --help/--version). Anything else before the command is a usage error.
 */
export function splitGlobalFlags(argv: readonly string[]): { globals: string[]; rest: string[] } {
  const globals: string[] = [];
  let i = 0;
  while (i < argv.length) {
    const a = argv[i]!;
    if (!a.startsWith('-') || a === '-' || ['--help', '-h', '--version', '-V'].includes(a)) break;
    const long = a.startsWith('--');
    const eq = a.indexOf('=');
    const name = long ? a.slice(2, eq > 0 ? eq : undefined) : SHORT.get(a[1]!);
    if (name === undefined || !(name in GLOBAL_FLAGS)) {
      throw new PgdrError('USAGE', `${a.split('=')[0]} cannot come before the command`, {
        hint: `put it after the command (pgdr COMMAND ${a.split('=')[0]} ...); ${GLOBAL_FLAGS_USAGE}`,
      });
    }
    // --name=value, -ovalue, or the value in the next word.
    let value: string | undefined = long ? (eq > 0 ? a.slice(eq + 1) : undefined) : a.slice(2) || undefined;
    if (value === undefined) {
      value = argv[i + 1];
      if (value === undefined || (value.startsWith('-') && value !== '-')) {
        throw new PgdrError('USAGE', `--${name} needs a value`, { hint: 'see: pgdr help' });
      }
      i++;
    }
    globals.push(`--${name}=${value}`);
    i++;
  }
  return { globals, rest: argv.slice(i) };
}
