// The node side of `wal archive` and `wal restore` against the WAL service (service.ts): take what the service
// left for exactly this call (spool.ts), hand the request to a healthy service and wait, or start one for the
// calls after this one. Every answer here is "done" or "do it yourself": a caller never reports a file stored
// that the service did not mark as stored, and when in doubt it archives or fetches synchronously.
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parseWalName } from '../../catalog/wal-name.js';
import { pathExists } from '../../common/path-exists.js';
import { healthyService } from './lock.js';
import { type SeedRequest, type SpoolRequest, seedServes, spoolPaths, spoolServes } from './spool.js';

export interface ServiceClient {
  readonly spool: string;
  readonly request: SpoolRequest;
  /**
   * Starts a detached service for this spool (the CLI knows how). restoreAfter: a segment to prefetch after;
   * archiving: the file this call is archiving itself, which the service leaves to it.
   */
  readonly start: (o?: { restoreAfter?: string; archiving?: string }) => void;
  /** What a restore's seed must have been fetched for to serve this call (restore calls only). */
  readonly seed?: SeedRequest | undefined;
  readonly signal?: AbortSignal | undefined;
}

const POLL_MS = 5;
const HEALTH_EVERY_MS = 250;
/**
 * A healthy service that has not stored a handed-over file by then is not trusted with it: the call archives
 * it itself (a second upload of the same content is a success), so PostgreSQL never waits on the service.
 */
const HANDOVER_MAX_MS = 30_000;
/**
 * How long the first restore call waits for a service to adopt a seed holding its segment: a node start or
 * two. Past it (no service could start), the call fetches the segment itself.
 */
const SEED_WAIT_MS = 5000;

/** done/X is a link to this very file (same device and inode): used up, and true. */
async function takeDone(spool: string, path: string): Promise<boolean> {
  const marker = join(spoolPaths(spool).done, basename(path));
  const [a, b] = await Promise.all([
    stat(marker, { bigint: true }).catch(() => undefined),
    stat(path, { bigint: true }).catch(() => undefined),
  ]);
  if (!a || !b || a.ino !== b.ino || a.dev !== b.dev) return false;
  await rm(marker, { force: true });
  return true;
}

/**
 * Archives `path` through the service: 'stored-ahead' (done before this call), 'stored' (the service stored
 * it while this call waited), or undefined: the caller archives synchronously.
 */
export async function archiveThroughService(
  path: string,
  c: ServiceClient,
): Promise<'stored-ahead' | 'stored' | undefined> {
  const p = spoolPaths(c.spool);
  if (!(await usable(c, { archiving: basename(path) }))) return undefined;
  if (await takeDone(c.spool, path)) return 'stored-ahead';
  const name = basename(path);
  if ((await healthyService(p.lock)) === undefined) {
    c.start({ archiving: name });
    return undefined;
  }
  const want = join(p.want, name);
  const failed = join(p.failed, name);
  await mkdir(p.want, { recursive: true });
  await writeFile(want, path);
  const since = Date.now();
  try {
    for (let waited = 0; ; waited += POLL_MS) {
      c.signal?.throwIfAborted();
      if (await takeDone(c.spool, path)) return 'stored';
      if (
        await rm(failed).then(
          () => true,
          () => false,
        )
      )
        return undefined;
      if (waited % HEALTH_EVERY_MS === 0 && waited > 0 && (await healthyService(p.lock)) === undefined)
        return undefined;
      if (Date.now() - since >= HANDOVER_MAX_MS) return undefined;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  } finally {
    await rm(want, { force: true });
  }
}

/**
 * Moves a prefetched segment to dest (its size), or undefined after telling the service where restore is, so
 * that it prefetches what follows; the caller then fetches synchronously.
 */
export async function restoreThroughService(
  name: string,
  dest: string,
  c: ServiceClient,
): Promise<number | undefined> {
  const p = spoolPaths(c.spool);
  if (!(await seedAdopted(c, name)) && !(await usable(c, { restoreAfter: name }))) return undefined;
  const file = join(p.ready, name);
  const healthy = (await healthyService(p.lock)) !== undefined;
  // A download in flight for this very segment is waited for while the service is healthy.
  for (let waited = 0; healthy && waited < 5000; waited += POLL_MS) {
    const names = await readdir(p.ready).catch(() => [] as string[]);
    if (names.includes(name) || !names.some((n) => n.startsWith(`.${name}.`))) break;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  const size = await stat(file).then(
    (s) => s.size,
    () => undefined,
  );
  if (size !== undefined) {
    // PostgreSQL removed DEST before asking; a leftover is replaced.
    await rm(dest, { force: true });
    if (
      await rename(file, dest).then(
        () => true,
        () => false,
      )
    ) {
      await markRestoreAt(c.spool, name);
      return size;
    }
  }
  await markRestoreAt(c.spool, name);
  if (!healthy) c.start({ restoreAfter: name });
  return undefined;
}

/**
 * The spool holds a restore's seed with this very segment, fetched for this call's store, serverName and
 * configuration: a service is started (prefetching nothing until a segment is taken) and the call waits until
 * it has adopted the seed and serves this request. False when there is no such seed, or no service took it.
 */
async function seedAdopted(c: ServiceClient, name?: string): Promise<boolean> {
  const p = spoolPaths(c.spool);
  const held =
    name === undefined
      ? (await readdir(p.seed).catch(() => [] as string[])).some((n) => parseWalName(n)?.kind === 'segment')
      : await pathExists(join(p.seed, name));
  if (c.seed === undefined || !held || !(await seedServes(c.spool, c.seed))) return false;
  let started = false;
  for (const since = Date.now(); Date.now() - since < SEED_WAIT_MS; ) {
    c.signal?.throwIfAborted();
    if (await spoolServes(c.spool, c.request)) return true;
    // The service writes its request before it removes the seed: gone, and the spool does not serve this
    // request, a service for another request removed it.
    if (!(await pathExists(p.seedRequest))) return spoolServes(c.spool, c.request);
    if (!started && (await healthyService(p.lock)) === undefined) {
      c.start();
      started = true;
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  return false;
}

/**
 * PostgreSQL's first restore_command call asks for a history file (the next timeline's), the next for the
 * first segment: a restore's seed is handed to a service from the first call, so that the thin client
 * answers the second instead of node. The caller then looks the history file up itself, as always.
 */
export async function handSeedOver(c: ServiceClient): Promise<void> {
  if (!(await spoolServes(c.spool, c.request))) await seedAdopted(c);
}

async function markRestoreAt(spool: string, name: string): Promise<void> {
  const at = spoolPaths(spool).restoreAt;
  await writeFile(`${at}.${process.pid}.tmp`, name).catch(() => {});
  await rename(`${at}.${process.pid}.tmp`, at).catch(() => {});
}

/**
 * The spool serves this request; otherwise a service filling it for another request is stopped and one for
 * this request started (it takes over once the other has gone), and this call works alone.
 */
async function usable(
  c: ServiceClient,
  start: { restoreAfter?: string; archiving?: string },
): Promise<boolean> {
  if (await spoolServes(c.spool, c.request)) return true;
  const pid = await healthyService(spoolPaths(c.spool).lock);
  if (pid !== undefined) {
    const other = await readFile(spoolPaths(c.spool).request, 'utf8').catch(() => '');
    // A spool whose request file is missing is being set up by the service itself.
    if (other !== '') process.kill(pid, 'SIGTERM');
  } else c.start(start);
  return false;
}
