// Whether a folder holds runnable initdb, pg_ctl and postgres, and which PostgreSQL they are.
import { execFile } from 'node:child_process';
import { constants, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** Where a folder was found (see candidateDirs in binaries.ts for the order). */
export type BinariesSource =
  | 'postgres.binDir'
  | 'debian'
  | 'rhel'
  | 'homebrew'
  | 'pg_config'
  | 'cache'
  | 'embedded';

export interface PostgresBinaries {
  readonly binDir: string;
  readonly major: number;
  /** As `postgres --version` prints it, e.g. `17.10`. */
  readonly version: string;
  readonly initdb: string;
  readonly pgCtl: string;
  readonly postgres: string;
  readonly source: BinariesSource;
}

export async function probe(binDir: string, source: BinariesSource): Promise<PostgresBinaries | undefined> {
  const paths = {
    initdb: join(binDir, 'initdb'),
    pgCtl: join(binDir, 'pg_ctl'),
    postgres: join(binDir, 'postgres'),
  };
  for (const p of Object.values(paths)) {
    if (
      !(await fsp.access(p, constants.X_OK).then(
        () => true,
        () => false,
      ))
    )
      return undefined;
  }
  try {
    // `postgres --version` is allowed as root; the version is what counts, not the folder's name.
    const { stdout } = await execFileAsync(paths.postgres, ['--version'], { timeout: 10_000 });
    const m = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?/.exec(stdout);
    if (m === null) return undefined;
    const version = m[2] === undefined ? m[1]! : `${m[1]}.${m[2]}`;
    return { binDir, major: Number(m[1]), version, ...paths, source };
  } catch {
    return undefined;
  }
}
