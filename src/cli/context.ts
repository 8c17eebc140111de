// Builds the typed configuration from flags + file + environment (once, at the edge) and opens the store.
import { writeFile } from 'node:fs/promises';
import { loadConfig } from '../config/load.js';
import { DEFAULT_STORE_TIMEOUTS, type PgdrConfig } from '../config/types.js';
import { isPgdrError, PgdrError } from '../errors.js';
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
    systemConfigFile: ctx.systemConfigFile,
  });
}

export async function withStore<T>(config: PgdrConfig, fn: (store: ObjectStore) => Promise<T>): Promise<T> {
  // Loaded here, not up front: a command can read its configuration without the store drivers' start-up cost.
  const { openStore } = await import('../storage/open-store.js');
  const opened = await openStore(config.objectStore);
  // The catalog benchmark asks for the number of store calls a command makes (written when it ends).
  const countsFile = process.env.PGDR_STORE_CALLS_FILE;
  const counted = countsFile
    ? (await import('../storage/call-counter.js')).countStoreCalls(opened)
    : undefined;
  const store = counted?.store ?? opened;
  try {
    return await fn(store);
  } finally {
    await opened.close();
    if (countsFile && counted) await writeFile(countsFile, `${JSON.stringify(counted.calls)}\n`);
  }
}

/** What every call on one server's backups takes: the store, the server, and the command's signal. */
export interface ServerScope {
  readonly store: ObjectStore;
  readonly serverName: string;
  readonly signal: AbortSignal;
}

/**
 * withStore for a command about the serverName's backups: first the store answers and holds the serverName,
 * so that a wrong bucket or serverName is said as such, not as an empty catalog.
 */
export async function withServerStore<T>(
  config: PgdrConfig,
  signal: AbortSignal,
  fn: (store: ObjectStore, server: ServerScope) => Promise<T>,
): Promise<T> {
  const { assertServerPresent } = await import('../catalog/server-presence.js');
  return withStore(config, async (store) => {
    await store.checkAccess({ signal });
    await assertServerPresent(store, config.serverName, { signal });
    return fn(store, { store, serverName: config.serverName, signal });
  });
}

/** After the budget ran out, how long a call may take to fail with its own, more precise, error. */
const BUDGET_GRACE_MS = 1000;

/**
 * Runs one `wal archive` / `wal restore` call within objectStore.timeouts.command, so that PostgreSQL gets an
 * answer (and retries) in bounded time whatever the store does. When the budget runs out the call's signal
 * aborts; its result is then a STORE_UNREACHABLE error naming the budget (never ABORTED, never INTERNAL).
 */
export async function withCommandBudget<T>(
  config: PgdrConfig,
  command: string,
  ctx: CliContext,
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const ms = (config.objectStore.timeouts ?? DEFAULT_STORE_TIMEOUTS).commandMs;
  const reason = new PgdrError(
    'STORE_UNREACHABLE',
    `${command} did not finish within its budget of ${ms / 1000} s (objectStore.timeouts.command)`,
    {
      hint: 'PostgreSQL runs the command again; if the object store is only slow, raise objectStore.timeouts.command',
      details: { deadline: 'command', timeoutMs: ms },
    },
  );
  const budget = new AbortController();
  const timers: NodeJS.Timeout[] = [];
  // Settles even when something under fn ignores its signal: the command returns, and withStore closes sockets.
  const expired = new Promise<never>((_, reject) => {
    timers.push(
      setTimeout(() => {
        budget.abort(reason);
        timers.push(setTimeout(() => reject(reason), BUDGET_GRACE_MS));
      }, ms),
    );
  });
  expired.catch(() => undefined);
  try {
    return await Promise.race([fn(AbortSignal.any([ctx.signal, budget.signal])), expired]);
  } catch (e) {
    // Whatever the budget interrupted (a file write, a decompression) failed because of it: say so.
    if (budget.signal.aborted && !(isPgdrError(e) && e.details?.deadline !== undefined)) throw reason;
    throw e;
  } finally {
    for (const t of timers) clearTimeout(t);
  }
}

export { STORE_USAGE } from './store-usage.js';
