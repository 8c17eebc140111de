// Tears a drill's throwaway cluster down. When restore() threw after starting PostgreSQL there is no
// RunningServer to stop, so the postmaster is found through its postmaster.pid instead.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { processRuns } from '../common/process-runs.js';
import type { RunningServer } from '../engine/restore/restore.js';
import { stopRestoredServer } from '../engine/restore/stop-server.js';
import type { StageRunner } from './drill-types.js';

/** The cleanup stage runs even after a failure: it is recorded, never skipped. */
export async function cleanupStage(runner: StageRunner, body: () => Promise<string>): Promise<void> {
  await runner.run('cleanup', async () => ({ value: undefined, detail: await body() }), { always: true });
}

export async function cleanupDrill(o: {
  readonly workDir: string;
  readonly dataDir: string;
  readonly server: RunningServer | null;
  readonly keep: boolean;
}): Promise<string> {
  if (o.keep) {
    return o.server
      ? `kept ${o.dataDir}; server running on ${o.server.connectionString}; stop it with: ${o.server.stopCommand}`
      : `kept ${o.dataDir} (no server running)`;
  }
  if (o.server) await stopRestoredServer(o.server, { mode: 'immediate' });
  else await killPostmaster(o.dataDir);
  await fsp.rm(o.workDir, { recursive: true, force: true });
  return `${o.server ? 'stopped the server, ' : ''}removed ${o.workDir}`;
}

async function killPostmaster(dataDir: string): Promise<void> {
  const text = await fsp.readFile(join(dataDir, 'postmaster.pid'), 'utf8').catch(() => '');
  const pid = Number(text.split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 1 || !processRuns(pid)) return;
  // SIGQUIT is PostgreSQL's immediate shutdown: the throwaway copy needs no checkpoint.
  process.kill(pid, 'SIGQUIT');
  for (let i = 0; i < 120 && processRuns(pid); i++) await new Promise((r) => setTimeout(r, 250));
  if (processRuns(pid)) throw new Error(`PostgreSQL (pid ${pid}) in ${dataDir} did not stop`);
}
