// `pgdr serve` as an engine function: one object store per server for the server's life, a short-lived cache of
// each dashboard state in front of it, and the HTTP server; returns when the signal aborts, once every socket
// closed. Several servers (one config each) share the process: an overview at /, each one under /server/NAME/.
import type { PgdrConfig } from '../config/types.js';
import { VERSION } from '../version.js';
import { type DashboardSource, dashboardSource } from './dashboard-source.js';
import type { Objectives } from './dashboard-types.js';
import { startServeHttp } from './http-server.js';
import { failedState, type ServedServer } from './overview.js';
import { dashboardPage, overviewPage } from './page.js';

interface ServedConfig {
  readonly config: PgdrConfig;
  readonly objectives: Objectives;
}

export interface ServeOptions {
  /** One or more servers; their server names differ (the CLI refuses the same name twice). */
  readonly servers: readonly ServedConfig[];
  readonly host: string;
  readonly port: number;
  /** The bucket is read at most this often; the page refetches at this interval too. */
  readonly refreshMs: number;
  readonly env: NodeJS.ProcessEnv;
  readonly signal: AbortSignal;
  /** Called once listening, with the URL to open. */
  readonly onListening: (url: string) => void;
}

export async function runServe(o: ServeOptions): Promise<void> {
  const sources: DashboardSource[] = [];
  try {
    const served: ServedServer[] = [];
    for (const s of o.servers) {
      const source = await dashboardSource({ ...s, refreshMs: o.refreshMs, env: o.env, signal: o.signal });
      sources.push(source);
      const base = {
        serverName: s.config.serverName,
        destination: s.config.objectStore.destinationPath,
        objectives: s.objectives,
        version: VERSION,
      };
      // A failure of one server's refresh must not blank the others: it becomes that server's error.
      served.push({
        name: s.config.serverName,
        state: () => source.state().catch((e) => failedState(base, e)),
      });
    }
    const redactors = sources.map((s) => s.redact);
    const refreshSeconds = Math.max(5, Math.round(o.refreshMs / 1000));
    const several = o.servers.length > 1;
    const http = await startServeHttp({
      host: o.host,
      port: o.port,
      page: dashboardPage({ refreshSeconds, overviewLink: several }),
      ...(several ? { overviewPage: overviewPage({ refreshSeconds }) } : {}),
      servers: served,
      redact: (body) => redactors.reduce((b, r) => r(b), body),
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
    await Promise.all(sources.map((s) => s.close()));
  }
}
