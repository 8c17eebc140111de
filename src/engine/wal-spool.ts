// The restore prefetch spool. A file appears in it only complete (atomic write) and only as the exact segment
// (never from a .partial); each batch replaces the previous one, files older than MAX_AGE_MS and files from
// another bucket/server are discarded, so a spool entry is never stale or partial when served.
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { nextSegment } from '../catalog/wal-name.js';
import { renameDurable } from './atomic-file.js';

const ORIGIN_FILE = '.origin';
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
  const origin = await readFile(join(s.dir, ORIGIN_FILE), 'utf8').catch(() => '');
  if (origin !== s.origin || Date.now() - info.mtimeMs > MAX_AGE_MS) {
    await rm(file, { force: true });
    return undefined;
  }
  await renameDurable(file, s.dest);
  return info.size;
}

/** Empties the spool, then fetches the `count` segments after `after` into it; names of those stored. */
export async function prefetchInto(
  s: SpoolRef & {
    after: string;
    count: number;
    fetch: (name: string, dest: string) => Promise<unknown>;
  },
): Promise<string[]> {
  await rm(s.dir, { recursive: true, force: true });
  await mkdir(s.dir, { recursive: true });
  await writeFile(join(s.dir, ORIGIN_FILE), s.origin);
  const names: string[] = [];
  let n = s.after;
  for (let i = 0; i < s.count; i++) {
    n = nextSegment(n);
    names.push(n);
  }
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

export async function spoolContents(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).filter((f) => !f.startsWith('.'));
}
