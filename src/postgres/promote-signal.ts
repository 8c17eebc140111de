// Asks a server in recovery to promote the way pg_ctl promote does: a `promote` file in the data folder, then
// SIGUSR1 to the postmaster, which passes it on to the startup process. pg_ctl promote refuses until recovery
// has read its checkpoint record (pg_control says "in archive recovery"); a standby that cannot read that
// record retries forever, so a restore asking through pg_ctl could wait forever too. Asked this way, the
// startup process takes the request at its first failure to get WAL and ends recovery there, with the same
// outcome archive recovery (recovery.signal) has: FATAL before consistency, a promotion after it.
import { existsSync, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { chownToServerUser, type ServerUser } from './os-user.js';

const PROMOTE_FILE = 'promote';

/**
 * Makes sure the request stands and signals the postmaster; false when there is no postmaster to signal yet.
 * Call it again until the promotion is seen: the postmaster removes a leftover request file when it starts,
 * and drops the signal while its startup process does not run yet.
 */
export async function requestPromotion(pgdata: string, user: ServerUser | null): Promise<boolean> {
  const pid = await postmasterPid(pgdata);
  if (pid === undefined) return false;
  const file = join(pgdata, PROMOTE_FILE);
  const there = await fsp.stat(file).then(
    () => true,
    () => false,
  );
  if (!there) {
    await fsp.writeFile(file, '', { mode: 0o600 });
    // The server may take (or, starting, remove) the file before the chown: that is no failure, the next poll
    // asks again if the promotion is not seen.
    await chownToServerUser(file, user).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
  }
  try {
    process.kill(pid, 'SIGUSR1');
    return true;
  } catch {
    return false;
  }
}

/** Removes a request the server did not take (it stopped first, or promoted before the last re-request). */
export async function withdrawPromotion(pgdata: string): Promise<void> {
  await fsp.rm(join(pgdata, PROMOTE_FILE), { force: true });
}

/**
 * The postmaster's pid, checked against /proc where there is one: a postmaster.pid left by a killed server may
 * name a process that is no longer PostgreSQL, and SIGUSR1 ends most programs.
 */
async function postmasterPid(pgdata: string): Promise<number | undefined> {
  const text = await fsp.readFile(join(pgdata, 'postmaster.pid'), 'utf8').catch(() => '');
  const pid = Number(text.split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  if (!existsSync('/proc/self/comm')) return pid;
  const comm = await fsp.readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '');
  return comm.trim() === 'postgres' ? pid : undefined;
}
