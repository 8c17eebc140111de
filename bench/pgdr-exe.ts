// pgdr as its users run it: the executable (bin/pgdr: what npm installs, the container's entrypoint, what
// PostgreSQL runs), so the bench times it with the node options it starts node with, on the bench's own node.
import { PGDR_EXE } from '../test/helpers/cli.js';

export { PGDR_EXE };

export const PGDR_EXE_ENV: NodeJS.ProcessEnv = { PGDR_NODE: process.execPath };

/** A command line running `bin`: a checkout's bin/pgdr as it is, a dist/src/cli/bin.js with this node. */
export function pgdrArgv(bin: string, args: readonly string[]): [string, string[]] {
  return bin.endsWith('.js') ? [process.execPath, [bin, ...args]] : [bin, [...args]];
}
