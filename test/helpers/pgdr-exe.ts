// The `pgdr` executable (bin/pgdr) as PostgreSQL runs it, with a node that counts its starts: every call the
// executable does not answer itself in sh starts node once, so the log tells which calls were fast-path hits.
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PGDR_EXE } from './cli.js';

export interface CountedPgdr {
  /** Command prefix for archive_command/restore_command: `PGDR_NODE=... .../bin/pgdr`. */
  readonly command: string;
  /** Environment for running PGDR_EXE directly. */
  readonly env: NodeJS.ProcessEnv;
  /** The argument lists node was started with, one per start. */
  nodeStarts(): Promise<string[]>;
}

/** dir must be readable by the server's OS user (serverConfigDir); the log is world-writable there. */
export async function countedPgdr(dir: string): Promise<CountedPgdr> {
  const log = join(dir, 'node-starts.log');
  const node = join(dir, 'counting-node');
  await writeFile(log, '', { mode: 0o666 });
  await chmod(log, 0o666);
  await writeFile(node, `#!/bin/sh\necho "$*" >>'${log}'\nexec '${process.execPath}' "$@"\n`, {
    mode: 0o755,
  });
  await chmod(node, 0o755);
  return {
    command: `PGDR_NODE='${node}' '${PGDR_EXE}'`,
    env: { PGDR_NODE: node },
    nodeStarts: async () => (await readFile(log, 'utf8')).split('\n').filter((l) => l !== ''),
  };
}
