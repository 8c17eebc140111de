// Builds the typed configuration from flags + file + environment (once, at the edge) and opens the store.
import { loadConfig } from '../config/load.js';
import type { PgdrConfig } from '../config/types.js';
import type { ObjectStore } from '../storage/object-store.js';
import { openStore } from '../storage/open-store.js';
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
  const store = openStore(config.objectStore);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

export const STORE_USAGE = `Store options (override pgdr.yaml for this run):
  -c, --config FILE          configuration file (default: ./pgdr.yaml, or PGDR_CONFIG)
  --destination-path URL     s3://BUCKET/PATH or file:///PATH
  --endpoint-url URL         S3-compatible endpoint (R2, MinIO, ...)
  --server-name NAME         the server folder under the destination path`;
