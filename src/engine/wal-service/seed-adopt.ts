// The service's side of a restore's seed (spool.ts: seed/): segments fetched while the base backup was
// extracted, before any server existed to give the spool an epoch. The first service of the folder decides
// once: a restore service whose own store, serverName and configuration file are the seed's takes the
// segments into ready/ (they were complete and fsynced before seed/request was written); any other service, or
// a seed that does not match, removes them unused.
import { readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { parseWalName } from '../../catalog/wal-name.js';
import type { ObjectStore } from '../../storage/object-store.js';
import { type SpoolRequest, seedServes, spoolPaths } from './spool.js';

export interface SeedAdopter {
  readonly spool: string;
  readonly mode: 'archive' | 'restore';
  readonly request: SpoolRequest;
  readonly store: ObjectStore;
  readonly serverName: string;
}

/**
 * Moves a matching seed's segments into ready/: the names moved (none when the seed did not match or there
 * was none). The caller writes the spool's request, then removes the seed (dropSeed): a call that sees the
 * seed gone finds the spool serving it, or not adopted at all.
 */
export async function takeSeed(o: SeedAdopter): Promise<string[]> {
  const p = spoolPaths(o.spool);
  const taken: string[] = [];
  const matches =
    o.mode === 'restore' &&
    (await seedServes(o.spool, {
      store: o.store.displayUrl,
      serverName: o.serverName,
      configPath: o.request.configPath,
    }));
  if (matches) {
    for (const name of await readdir(p.seed).catch(() => [] as string[])) {
      if (parseWalName(name)?.kind !== 'segment') continue;
      if (
        await rename(join(p.seed, name), join(p.ready, name)).then(
          () => true,
          () => false,
        )
      )
        taken.push(name);
    }
  }
  return taken;
}

export async function dropSeed(spool: string): Promise<void> {
  await rm(spoolPaths(spool).seed, { recursive: true, force: true });
}
