// The one rule for a serverName, wherever it enters (configuration, flags, a derived name): it is a folder of
// the bucket and a word of the archive_command pgdr writes, so a space or a slash would break every later call.
import { PgdrError } from '../errors.js';

const SERVER_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const RULE = 'may hold only letters, digits, dot, dash and underscore, and must start with a letter or digit';

/** Why `name` is not a valid serverName, or undefined when it is. */
export function serverNameProblem(name: string): string | undefined {
  return SERVER_NAME_RE.test(name) ? undefined : RULE;
}

/** Refuses (USAGE) a serverName given on the command line, naming the flag, before anything is done. */
export function checkServerNameFlag(name: string | undefined, flag: string): string | undefined {
  if (name === undefined) return undefined;
  const problem = serverNameProblem(name);
  if (problem !== undefined) {
    throw new PgdrError('USAGE', `${flag} '${name}' is not a valid serverName: it ${problem}`, {
      hint: `pick a name such as ${suggestion(name)}; nothing was changed`,
    });
  }
  return name;
}

function suggestion(name: string): string {
  const s = name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  return s === '' ? 'db-2' : s;
}
