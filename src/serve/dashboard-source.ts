// The dashboard state behind one object store, read at most once per refresh interval: what `pgdr serve`
// answers /api/status and /metrics from, and what the agent answers its own /metrics from, so both speak the
// same metric names. Every rendered body passes through the redactor of the config's secrets.

import { releaseGarbage } from '../common/release-garbage.js';
import type { PgdrConfig } from '../config/types.js';
import type { ObjectStore } from '../storage/object-store.js';
import { openStore } from '../storage/open-store.js';
import { backupInfoCache } from './backup-info-cache.js';
import { collectState } from './collect.js';
import type { DashboardState, Objectives } from './dashboard-types.js';
import { renderMetrics } from './metrics.js';
import { knownSecrets, redactor } from './redact.js';
import { stateCache } from './state-cache.js';
import { walListingCache } from './wal-listing-cache.js';

export interface DashboardSourceOptions {
  readonly config: PgdrConfig;
  readonly objectives: Objectives;
  readonly refreshMs: number;
  readonly env: NodeJS.ProcessEnv;
  readonly signal?: AbortSignal | undefined;
  /** Opened from config.objectStore when not given. */
  readonly store?: ObjectStore;
  /**
   * The whole WAL prefix is listed, and every backup.info read, every this many refreshes; only what changed in
   * between (default 10).
   */
  readonly fullWalListEvery?: number;
}

export interface DashboardSource {
  state(): Promise<DashboardState>;
  /** GET /metrics: the state as Prometheus text, secrets scrubbed. */
  metrics(): Promise<string>;
  readonly redact: (body: string) => string;
  close(): Promise<void>;
}

export async function dashboardSource(o: DashboardSourceOptions): Promise<DashboardSource> {
  const store = o.store ?? (await openStore(o.config.objectStore));
  // Finished backups never change: their sizes are listed once for the life of the process.
  const sizeCache = new Map<string, number>();
  const fullEvery = o.fullWalListEvery ?? 10;
  const wal = walListingCache(store, o.config.serverName, { fullEvery });
  const cached = backupInfoCache(wal, o.config.serverName, { fullEvery });
  const cache = stateCache({
    ttlMs: o.refreshMs,
    load: () => {
      wal.refresh();
      cached.refresh();
      return collectState({
        config: o.config,
        store: cached,
        objectives: o.objectives,
        env: o.env,
        signal: o.signal,
        sizeCache,
      }).finally(releaseGarbage);
    },
  });
  const redact = redactor(knownSecrets(o.config));
  return {
    state: () => cache.get(),
    metrics: async () => redact(renderMetrics(await cache.get())),
    redact,
    close: () => (o.store ? Promise.resolve() : store.close()),
  };
}
