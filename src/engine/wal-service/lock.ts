// One service per spool: its pid in `lock`, created exclusively; the lock's mtime is the heartbeat. A service
// whose pid is gone or whose heartbeat is older than STALE_MS is unhealthy: callers archive synchronously and
// the next one starting a service takes the lock over.
import { readFile, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { processRuns } from '../../common/process-runs.js';

export const HEARTBEAT_MS = 1000;
const STALE_MS = 10_000;

/** The healthy service's pid, or undefined. */
export async function healthyService(lock: string): Promise<number | undefined> {
  const [text, info] = await Promise.all([
    readFile(lock, 'utf8').catch(() => ''),
    stat(lock).catch(() => undefined),
  ]);
  const pid = Number(text.trim());
  if (!info || !Number.isInteger(pid) || pid <= 0) return undefined;
  if (Date.now() - info.mtimeMs > STALE_MS || !processRuns(pid)) return undefined;
  return pid;
}

/** Takes the lock for this process; false when a healthy service holds it. */
export async function takeLock(lock: string): Promise<boolean> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(lock, String(process.pid), { flag: 'wx', mode: 0o600 });
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if ((await healthyService(lock)) !== undefined) return false;
      await unlink(lock).catch(() => {});
    }
  }
  return false;
}

export async function heartbeat(lock: string): Promise<void> {
  const now = new Date();
  await utimes(lock, now, now);
}

/** Releases the lock if it is still this process's. */
export async function releaseLock(lock: string): Promise<void> {
  const text = await readFile(lock, 'utf8').catch(() => '');
  if (text.trim() === String(process.pid)) await unlink(lock).catch(() => {});
}
