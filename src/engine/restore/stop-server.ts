// Stopping a server restore() left running: drills and tests call this; operators get the stopCommand text.
import { PgdrError } from '../../errors.js';
import { resolveServerUser, runAsServerUser } from '../../postgres/os-user.js';
import { shCommandAs } from '../../shell-quote.js';
import type { RunningServer } from './restore.js';

/** The command an operator runs to stop the server in `pgdata` (every word quoted: any path works). */
export function stopCommandText(o: { pgCtl: string; pgdata: string; osUser: string | null }): string {
  return shCommandAs([o.pgCtl, '-D', o.pgdata, 'stop'], o.osUser);
}

export async function stopRestoredServer(
  server: RunningServer,
  options: { mode?: 'smart' | 'fast' | 'immediate'; timeoutSeconds?: number } = {},
): Promise<void> {
  const timeout = options.timeoutSeconds ?? 60;
  const args = ['stop', '-D', server.pgdata, '-m', options.mode ?? 'fast', '-w', '-t', String(timeout)];
  const user = await resolveServerUser();
  const r = await runAsServerUser({ file: server.pgCtl, args, user, timeoutMs: (timeout + 30) * 1000 });
  const status = await runAsServerUser({ file: server.pgCtl, args: ['status', '-D', server.pgdata], user });
  if (r.code !== 0 && status.code === 0) {
    throw new PgdrError('POSTGRES_ERROR', `PostgreSQL in ${server.pgdata} did not stop`, {
      hint: r.stderr.trim() || r.stdout.trim(),
    });
  }
}
