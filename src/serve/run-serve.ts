// `pgdr serve` as an engine function: one object store for the server's life, a short-lived cache of the
// dashboard state in front of it, and the HTTP server; returns when the signal aborts, once every socket closed.
import type { PgdrConfig } from '../config/types.js';
import { openStore } from '../storage/open-store.js';
import { collectState } from './collect.js';
import type { Objectives } from './dashboard-types.js';
import { startServeHttp } from './http-server.js';
import { dashboardPage } from './page.js';
import { knownSecrets, redactor } from './redact.js';
import { stateCache } from './state-cache.js';

export interface ServeOptions {
  readonly config: PgdrConfig;
  readonly host: string;
  readonly port: number;
  readonly objectives: Objectives;
  /** The bucket is read at most this often; the page refetches at this interval too. */
  readonly refreshMs: number;
  readonly env: NodeJS.ProcessEnv;
  readonly signal: AbortSignal;
  /** Called once listening, with the URL to open. */
  readonly onListening: (url: string) => void;
}

export async function runServe(o: ServeOptions): Promise<void> {
  const store = openStore(o.config.objectStore);
  try {
    const cache = stateCache({
      ttlMs: o.refreshMs,
      load: () =>
        collectState({ config: o.config, store, objectives: o.objectives, env: o.env, signal: o.signal }),
    });
    const http = await startServeHttp({
      host: o.host,
      port: o.port,
      page: dashboardPage({ refreshSeconds: Math.max(5, Math.round(o.refreshMs / 1000)) }),
      state: () => cache.get(),
      redact: redactor(knownSecrets(o.config)),
    });
    try {
      o.onListening(http.url);
      await new Promise<void>((resolve) => {
        if (o.signal.aborted) resolve();
        else o.signal.addEventListener('abort', () => resolve(), { once: true });
      });
    } finally {
      await http.close();
    }
  } finally {
    await store.close();
  }
}
