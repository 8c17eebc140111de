// Which configuration file a call reads. Kept apart from load.ts (validation, YAML) because `wal archive` and
// `wal restore` fingerprint their call with it before they load anything (see cli/call-fingerprint.ts).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export const DEFAULT_CONFIG_FILE = 'pgdr.yaml';

/** PGDR_CONFIG; set but empty (`PGDR_CONFIG= pgdr ...`) means unset, as it does for most shell variables. */
export function configEnv(env: NodeJS.ProcessEnv): string | undefined {
  return env.PGDR_CONFIG === '' ? undefined : env.PGDR_CONFIG;
}

/** --config, else PGDR_CONFIG, else ./pgdr.yaml if it exists (relative to cwd), else undefined: flags only. */
export function configFileOf(o: {
  configFile?: string | undefined;
  env: NodeJS.ProcessEnv;
  cwd: string;
}): string | undefined {
  const explicit = o.configFile ?? configEnv(o.env);
  return explicit ?? (existsSync(resolve(o.cwd, DEFAULT_CONFIG_FILE)) ? DEFAULT_CONFIG_FILE : undefined);
}
