// A restore only writes into a folder that is missing or empty (barman-cloud-restore's rule), so it can never
// mix a backup into somebody's live data; or into one its own unfinished restore left (restore-marker.ts).
import { promises as fsp } from 'node:fs';
import { dirname } from 'node:path';
import { PgdrError } from '../../errors.js';
import { firstBlockedPath, resolveServerUser } from '../../postgres/os-user.js';
import { MARKER_NAME, type MarkerInfo, readMarker } from './restore-marker.js';

export interface TargetFolder {
  readonly dir: string;
  /** The marker of the unfinished pgdr restore the folder holds; null: missing or empty. */
  readonly unfinished: MarkerInfo | null;
}

/** A restore target: missing, empty, or holding pgdr's marker of an unfinished restore; anything else refused. */
export async function checkTargetFolder(dir: string): Promise<TargetFolder> {
  const entries = await listFolder(dir);
  if (entries.length === 0) return { dir, unfinished: null };
  const marker = entries.includes(MARKER_NAME) ? await readMarker(dir) : undefined;
  if (marker === undefined) {
    throw new PgdrError('DIR_NOT_EMPTY', `${dir} is not empty (${shown(entries)})`, {
      hint: `${deltaHint(entries)}restore into a new or empty folder; pgdr only clears a folder that holds its own ${MARKER_NAME} marker of an unfinished restore; nothing was written`,
    });
  }
  if (entries.includes('postmaster.pid')) {
    throw new PgdrError(
      'DIR_NOT_EMPTY',
      `${dir} holds an unfinished pgdr restore, but also postmaster.pid: a PostgreSQL server may run there`,
      {
        hint: 'stop that server and remove the folder yourself, or restore into a new folder; nothing was written',
      },
    );
  }
  return { dir, unfinished: marker };
}

async function listFolder(dir: string): Promise<string[]> {
  return fsp.readdir(dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return [] as string[];
    if (e.code === 'ENOTDIR') {
      throw new PgdrError('DIR_NOT_EMPTY', `${dir} exists and is not a folder`, {
        hint: 'give a new or empty folder to restore into',
      });
    }
    throw new PgdrError('DIR_NOT_EMPTY', `cannot read ${dir}: ${e.message}`, { cause: e });
  });
}

/** A data directory (a former primary, a replica to rebuild) can be updated in place instead: say how. */
function deltaHint(entries: readonly string[]): string {
  return entries.includes('PG_VERSION') && entries.includes('global')
    ? 'it looks like a PostgreSQL data directory: to update it in place, writing only what differs from the backup, stop its server and add --delta; or '
    : '';
}

function shown(entries: readonly string[]): string {
  return `${entries.slice(0, 5).join(', ')}${entries.length > 5 ? ', ...' : ''}`;
}

export async function assertEmptyDir(dir: string): Promise<void> {
  const entries = await listFolder(dir);
  if (entries.length > 0) {
    throw new PgdrError('DIR_NOT_EMPTY', `${dir} is not empty (${shown(entries)})`, {
      hint: `${deltaHint(entries)}restore into a new or empty folder; nothing was written`,
    });
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
