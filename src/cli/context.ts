// Builds the typed configuration from flags + file + environment (once, at the edge) and opens the store.
import { loadConfig } from '../config/load.js';
import type { PgdrConfig } from '../config/types.js';
import type { ObjectStore } from '../storage/object-store.js';
import { type Parsed, str } from './args.js';
import type { CliContext } from './main.js';

export function configFrom(p: Parsed, ctx: CliContext): PgdrConfig {
  return loadConfig({
    overrides: {
      configFile: str(p, 'config'),
      destinationPath: str(p, 'destination-path'),
      endpointURL: str(p, 'endpoint-url'),
      serverName: str(p, 'server-name'),
    },
    env: ctx.env,
    cwd: ctx.cwd,
  });
}

export async function withStore<T>(config: PgdrConfig, fn: (store: ObjectStore) => Promise<T>): Promise<T> {
  // Loaded here, not up front: a command can read its configuration without the store drivers' start-up cost.
  const { openStore } = await import('../storage/open-store.js');
  const store = openStore(config.objectStore);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

export { STORE_USAGE } from './store-usage.js';
