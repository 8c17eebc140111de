// The runbook's "backup list returns empty": the usual cause is a serverName that does not match the folder the
// cluster archives into. Say so, and name the server folders that do exist under the destination.
import { PgdrError } from '../errors.js';
import type { ObjectStore } from '../storage/object-store.js';
import { listServerNames } from './backup-catalog.js';

export async function assertServerPresent(
  store: ObjectStore,
  serverName: string,
  options: { signal?: AbortSignal } = {},
): Promise<void> {
  const below = await store.list(`${serverName}/`, { delimiter: '/', signal: options.signal });
  if (below.prefixes.includes(`${serverName}/base/`) || below.prefixes.includes(`${serverName}/wals/`))
    return;
  const others = (await listServerNames(store, options)).filter((n) => n !== serverName);
  throw new PgdrError(
    'NO_BACKUPS',
    `no backups or WAL for serverName '${serverName}' in ${store.displayUrl}`,
    {
      hint: others.length
        ? `server names found under this path: ${others.join(', ')} — set serverName (or --server-name) to one of them`
        : 'the destination holds no barman-cloud server folder yet: check destinationPath, or take a first backup',
      details: { serverName, found: others },
    },
  );
}
