// postgres.cacheDir: where `pgdr postgres install` puts PostgreSQL binaries and where pgdr looks for them.
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

/** $XDG_CACHE_HOME/pgdr/postgres, ~/.cache/pgdr/postgres when unset. */
export function defaultCacheDir(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache');
  return join(base, 'pgdr', 'postgres');
}

/** The configured folder (absolute) or the default; a problem message for anything else. */
export function cacheDirOf(
  value: unknown,
  env: NodeJS.ProcessEnv,
): { dir: string; problem?: undefined } | { dir?: undefined; problem: string } {
  if (value === undefined || value === null) return { dir: defaultCacheDir(env) };
  if (typeof value !== 'string' || !isAbsolute(value)) return { problem: 'must be an absolute path' };
  return { dir: value };
}
