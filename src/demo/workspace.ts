// The demo's folder: everything it makes (object store, data folders, logs, throwaway drill folders) lives
// under one root, so --keep leaves one place to look at and the default leaves nothing behind.
// The root belongs to the server user: the pgdr steps run as that user (as archive_command does) and create
// their data folders in it.
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { removeTree } from '../common/remove-tree.js';
import { PgdrError } from '../errors.js';
import { chownToServerUser, firstBlockedPath, type ServerUser } from '../postgres/os-user.js';

export interface Workspace {
  readonly root: string;
  /** False when the caller gave an existing (empty) folder: it is emptied, not removed, at the end. */
  readonly ownRoot: boolean;
  readonly repo: string;
  readonly primary: string;
  readonly pitr: string;
  readonly standby: string;
  readonly latest: string;
  /** TMPDIR of the drill: its throwaway folder stays under the root. */
  readonly tmp: string;
  readonly logs: string;
  readonly sockets: string;
  /** The primary's pgdr configuration (store + postgres). */
  readonly config: string;
  /** The store only, as a drill host without the database would have it. */
  readonly bucketConfig: string;
}

export async function prepareWorkspace(dir: string | undefined, user: ServerUser | null): Promise<Workspace> {
  let root: string;
  let ownRoot = true;
  if (dir === undefined) root = await fsp.mkdtemp(join(tmpdir(), 'pgdr-demo-'));
  else {
    root = resolve(dir);
    const entries = await fsp.readdir(root).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw new PgdrError('USAGE', `demo: cannot read --dir ${root}: ${e.message}`);
    });
    if (entries !== undefined && entries.length > 0) {
      throw new PgdrError('DIR_NOT_EMPTY', `demo: ${root} is not empty`, {
        hint: 'give a missing or empty folder (the demo removes what it made there unless --keep)',
      });
    }
    ownRoot = entries === undefined;
    await fsp.mkdir(root, { recursive: true });
  }
  await fsp.chmod(root, 0o755);
  await chownToServerUser(root, user);
  const blocked = await firstBlockedPath(root, user);
  if (blocked !== undefined) {
    if (ownRoot) await removeTree(root);
    throw new PgdrError('USAGE', `demo: the server user '${user?.name}' cannot reach ${root}`, {
      hint: `${blocked} is not traversable by '${user?.name}': choose a folder under /tmp or make it traversable (chmod o+x)`,
    });
  }
  const ws: Workspace = {
    root,
    ownRoot,
    repo: join(root, 'repo'),
    primary: join(root, 'primary'),
    pitr: join(root, 'pitr'),
    standby: join(root, 'standby'),
    latest: join(root, 'latest'),
    tmp: join(root, 'tmp'),
    logs: join(root, 'logs'),
    sockets: join(root, 's'),
    config: join(root, 'pgdr.yaml'),
    bucketConfig: join(root, 'bucket.yaml'),
  };
  for (const d of [ws.repo, ws.tmp, ws.logs]) {
    await fsp.mkdir(d, { recursive: true, mode: 0o755 });
    await chownToServerUser(d, user);
  }
  return ws;
}

/** Removes everything the demo made: the root when it made it, else the root's contents. */
export async function removeWorkspace(ws: Workspace): Promise<void> {
  if (ws.ownRoot) {
    await removeTree(ws.root);
    return;
  }
  for (const name of await fsp.readdir(ws.root).catch(() => [] as string[])) {
    await removeTree(join(ws.root, name));
  }
}

/** A pgdr configuration file the server user can read; JSON is YAML and quotes every path safely. */
export async function writeConfig(path: string, doc: Record<string, unknown>): Promise<void> {
  await fsp.writeFile(path, `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o644 });
  await fsp.chmod(path, 0o644);
}
