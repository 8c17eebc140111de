// `pgdr serve` as an engine function: one object store for the server's life, a short-lived cache of the
// dashboard state in front of it, and the HTTP server; returns when the signal aborts, once every socket closed.
import type { PgdrConfig } from '../config/types.js';
import { dashboardSource } from './dashboard-source.js';
import type { Objectives } from './dashboard-types.js';
import { startServeHttp } from './http-server.js';
import { dashboardPage } from './page.js';

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
  const source = dashboardSource(o);
  try {
    const http = await startServeHttp({
      host: o.host,
      port: o.port,
      page: dashboardPage({ refreshSeconds: Math.max(5, Math.round(o.refreshMs / 1000)) }),
      state: () => source.state(),
      redact: source.redact,
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
    await source.close();
  }
}
