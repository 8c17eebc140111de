// The restore prefetch spool. A file appears in it only complete (written aside, then renamed) and only as the
// exact segment (never from a .partial); each batch replaces the previous one, and files older than MAX_AGE_MS,
// from another bucket/server or from another boot are discarded, so a spool entry is never stale or partial
// when served. Spool files are not fsynced (eight 16 MiB fsyncs per batch cost more than the rest): only a
// crash of the machine could tear one, and that changes the boot id, which voids the spool.
// bin/pgdr serves hits in sh, by the `.call` fingerprint (cli/call-fingerprint.ts): keep it in step.
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { nextSegment } from '../catalog/wal-name.js';
import { bootId } from './boot-id.js';

const ORIGIN_FILE = '.origin';
/** The fingerprint of the call that filled the spool, for bin/pgdr. */
const CALL_FILE = '.call';
/** bin/pgdr has the same limit (SPOOL_MAX_AGE_S). */
const MAX_AGE_MS = 10 * 60_000;

export interface SpoolRef {
  readonly dir: string;
  /** Destination URL + serverName the spool was filled from. */
  readonly origin: string;
}

/** Identifies the archive a spool is filled from, computable from the configuration alone. */
export function spoolOrigin(c: {
  destinationPath: string;
  endpointURL?: string | undefined;
  serverName: string;
}): string {
  return JSON.stringify([c.destinationPath, c.endpointURL ?? '', c.serverName]);
}

/** Moves a spooled `name` to dest; the byte count, or undefined on a miss. */
export async function takeFromSpool(
  s: SpoolRef & { name: string; dest: string },
): Promise<number | undefined> {
  const file = join(s.dir, s.name);
  const info = await stat(file).catch(() => undefined);
  if (!info) return undefined;
  const [origin, boot] = await Promise.all([
    readFile(join(s.dir, ORIGIN_FILE), 'utf8').catch(() => ''),
    bootId(),
  ]);
  if (boot === '' || origin !== `${s.origin}\n${boot}` || Date.now() - info.mtimeMs > MAX_AGE_MS) {
    await rm(file, { force: true });
    return undefined;
  }
  // PostgreSQL removed DEST before asking; should one be there, removing it first spares ext4's flush of the
  // new file's data on a replacing rename. No fsync: see fetchTo in wal-restore.ts.
  await rm(s.dest, { force: true });
  await rename(file, s.dest);
  return info.size;
}

/**
 * Empties the spool, then fetches the `count` segments after `after` into it; names of those stored. fetch
 * need not fsync. Without a boot id to rely on, nothing is prefetched.
 */
export async function prefetchInto(
  s: SpoolRef & {
    after: string;
    count: number;
    /** The filling call's fingerprint, for bin/pgdr; without one, only node serves the spool. */
    fingerprint?: string | undefined;
    fetch: (name: string, dest: string) => Promise<unknown>;
  },
): Promise<string[]> {
  await rm(s.dir, { recursive: true, force: true });
  const boot = await bootId();
  if (boot === '') return [];
  await mkdir(s.dir, { recursive: true });
  await writeFile(join(s.dir, ORIGIN_FILE), `${s.origin}\n${boot}`);
  if (s.fingerprint !== undefined) await writeFile(join(s.dir, CALL_FILE), s.fingerprint);
  const names = followingSegments(s.after, s.count);
  const got = await Promise.all(
    names.map(async (name) => {
      try {
        await s.fetch(name, join(s.dir, name));
        return name;
      } catch {
        // Missing (end of the archive so far) or failing: PostgreSQL asks again and we go to the bucket.
        return undefined;
      }
    }),
  );
  return got.filter((x): x is string => x !== undefined);
}

/** The `count` segment names after `after`. */
export function followingSegments(after: string, count: number): string[] {
  const names: string[] = [];
  for (let i = 0, n = after; i < count; i++) {
    n = nextSegment(n);
    names.push(n);
  }
  return names;
}
