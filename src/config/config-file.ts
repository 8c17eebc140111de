// Which configuration file a call reads. Kept apart from load.ts (validation, YAML): `wal archive` and
// `wal restore` name it in the WAL service's request (cli/wal-request.ts).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export const DEFAULT_CONFIG_FILE = 'pgdr.yaml';
/** The host-wide configuration, read when nothing else names one. bin/pgdr knows this path too. */
export const SYSTEM_CONFIG_FILE = '/etc/pgdr/pgdr.yaml';

/** How the configuration file was found, for messages and `pgdr config show`. */
export type ConfigFileOrigin = '--config' | 'PGDR_CONFIG' | './pgdr.yaml' | 'system';

export interface ConfigFileInput {
  readonly configFile?: string | undefined;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** SYSTEM_CONFIG_FILE unless a test points elsewhere (CliContext.systemConfigFile). */
  readonly systemConfigFile?: string | undefined;
}

/** PGDR_CONFIG; set but empty (`PGDR_CONFIG= pgdr ...`) means unset, as it does for most shell variables. */
export function configEnv(env: NodeJS.ProcessEnv): string | undefined {
  return env.PGDR_CONFIG === '' ? undefined : env.PGDR_CONFIG;
}

/**
 * --config, else PGDR_CONFIG, else ./pgdr.yaml if it exists (relative to cwd), else /etc/pgdr/pgdr.yaml if it
 * exists, else undefined: flags only.
 */
export function findConfigFile(o: ConfigFileInput): { file: string; origin: ConfigFileOrigin } | undefined {
  if (o.configFile !== undefined) return { file: o.configFile, origin: '--config' };
  const env = configEnv(o.env);
  if (env !== undefined) return { file: env, origin: 'PGDR_CONFIG' };
  if (existsSync(resolve(o.cwd, DEFAULT_CONFIG_FILE)))
    return { file: DEFAULT_CONFIG_FILE, origin: './pgdr.yaml' };
  const system = o.systemConfigFile ?? SYSTEM_CONFIG_FILE;
  return existsSync(system) ? { file: system, origin: 'system' } : undefined;
}

export function configFileOf(o: ConfigFileInput): string | undefined {
  return findConfigFile(o)?.file;
}
