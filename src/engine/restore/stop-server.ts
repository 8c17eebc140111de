// Stopping a server restore() left running: drills and tests call this; operators get the stopCommand text.
import { type StopMode, stopServer } from '../../postgres/pg-ctl.js';
import { shCommandAs } from '../../shell-quote.js';
import type { RunningServer } from './restore.js';

/** The command an operator runs to stop the server in `pgdata` (every word quoted: any path works). */
export function stopCommandText(o: { pgCtl: string; pgdata: string; osUser: string | null }): string {
  return shCommandAs([o.pgCtl, '-D', o.pgdata, 'stop'], o.osUser);
}

export async function stopRestoredServer(
  server: RunningServer,
  options: { mode?: StopMode; timeoutSeconds?: number } = {},
): Promise<void> {
  await stopServer(server, options);
}
