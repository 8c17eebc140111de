// The WAL services the CLI started detached under a test folder (engine/wal-service/): found by their lock
// files, stopped before the folder is removed.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { processRuns } from '../../src/common/process-runs.js';
import { SPOOL_NAME, spoolPaths } from '../../src/engine/wal-service/spool.js';

/** The pids in the lock files of every spool under root. */
export async function servicePids(root: string): Promise<number[]> {
  const all = await readdir(root, { recursive: true }).catch(() => [] as string[]);
  const spools = all.filter((f) => f.endsWith(SPOOL_NAME)).map((f) => join(root, f));
  const pids = await Promise.all(
    spools.map((s) => readFile(spoolPaths(s).lock, 'utf8').then(Number, () => 0)),
  );
  return pids.filter((p) => Number.isInteger(p) && p > 0);
}

export async function stopServices(root: string): Promise<void> {
  const pids = await servicePids(root);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {}
  }
  for (let i = 0; i < 100 && pids.some(processRuns); i++) await new Promise((r) => setTimeout(r, 50));
}
