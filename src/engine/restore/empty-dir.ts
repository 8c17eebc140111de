// A restore only writes into a folder that is missing or empty (barman-cloud-restore's rule), so it can never
// mix a backup into somebody's live data.
import { promises as fsp } from 'node:fs';
import { dirname } from 'node:path';
import { PgdrError } from '../../errors.js';
import { firstBlockedPath, resolveServerUser } from '../../postgres/os-user.js';

export async function assertEmptyDir(dir: string): Promise<void> {
  const entries = await fsp.readdir(dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return [] as string[];
    if (e.code === 'ENOTDIR') {
      throw new PgdrError('DIR_NOT_EMPTY', `${dir} exists and is not a folder`, {
        hint: 'give a new or empty folder to restore into',
      });
    }
    throw new PgdrError('DIR_NOT_EMPTY', `cannot read ${dir}: ${e.message}`, { cause: e });
  });
  if (entries.length > 0) {
    const shown = entries.slice(0, 5).join(', ');
    throw new PgdrError(
      'DIR_NOT_EMPTY',
      `${dir} is not empty (${shown}${entries.length > 5 ? ', ...' : ''})`,
      {
        hint: 'restore into a new or empty folder; nothing was written',
      },
    );
  }
}

/** As root the server runs as another OS user, who must be able to enter every folder above DIR. */
export async function assertReachable(dir: string): Promise<void> {
  const user = await resolveServerUser();
  if (user === null) return;
  let existing = dirname(dir);
  while (
    !(await fsp.stat(existing).then(
      () => true,
      () => false,
    ))
  )
    existing = dirname(existing);
  const blocked = await firstBlockedPath(existing, user);
  if (blocked !== undefined) {
    throw new PgdrError(
      'REFUSED',
      `PostgreSQL would run as OS user '${user.name}', who cannot enter ${blocked}`,
      {
        hint: `allow it (chmod o+x ${blocked}) or restore somewhere '${user.name}' can reach; nothing was written`,
      },
    );
  }
}
