// The backup.info objects (and keep annotations) of one server, kept between dashboard refreshes. listBackups
// lists <server>/base/ with a delimiter and then GETs every backup.info and every annotations/keep: 2 GETs per
// backup on each refresh. Here that listing is answered from one listing without a delimiter, which also names
// each backup.info and keep annotation with its size and time, and a GET is made only for an object that is new
// or whose size or time changed since it was read; an annotation that is not listed is NOT_FOUND without a call.
// What is served is what this refresh's listing saw: an object replaced with the same size within the store's
// time resolution is read again at the latest on the next full read, every `fullEvery` refreshes.
// Bodies are cached only up to MAX_CACHED_BYTES, read while they stream to the caller, whose own size bound
// (readBounded) still applies: a listed size is not trusted.
import { Readable } from 'node:stream';
import { INCREMENTAL_FOLDER } from '../catalog/incremental-chain.js';
import { PgdrError } from '../errors.js';
import type { ListOptions, ListResult, ObjectInfo, ObjectStore } from '../storage/object-store.js';

const MAX_CACHED_BYTES = 1024 * 1024;
const CACHED = /\/(backup\.info|annotations\/keep)$/;

interface Entry {
  readonly size: number;
  readonly time: number;
  readonly body: Buffer;
}

export interface BackupInfoCache extends ObjectStore {
  /** Starts a refresh: the next listing of a backup folder lists again. */
  refresh(): void;
}

export function backupInfoCache(
  store: ObjectStore,
  serverName: string,
  o: { readonly fullEvery: number },
): BackupInfoCache {
  const folders = [`${serverName}/base/`, `${serverName}/${INCREMENTAL_FOLDER}/`];
  const bodies = new Map<string, Entry>();
  /** This refresh's listed backup.info and keep objects, by folder. */
  const listed = new Map<string, Map<string, ObjectInfo>>();
  let refreshes = 0;

  const folderOf = (key: string): string | undefined => folders.find((f) => key.startsWith(f));

  const listFolder = async (prefix: string, options?: ListOptions): Promise<ListResult> => {
    const all = await store.list(prefix, { signal: options?.signal });
    const seen = new Map<string, ObjectInfo>();
    const objects: ObjectInfo[] = [];
    const prefixes: string[] = [];
    for (const obj of all.objects) {
      const rest = obj.key.slice(prefix.length);
      const slash = rest.indexOf('/');
      if (slash < 0) {
        objects.push(obj);
        continue;
      }
      const p = prefix + rest.slice(0, slash + 1);
      if (prefixes.at(-1) !== p) prefixes.push(p);
      if (CACHED.test(rest)) seen.set(obj.key, obj);
    }
    listed.set(prefix, seen);
    for (const key of bodies.keys()) if (key.startsWith(prefix) && !seen.has(key)) bodies.delete(key);
    return { objects, prefixes: [...new Set(prefixes)] };
  };

  const cachedGet = async (key: string, options?: { signal?: AbortSignal }): Promise<Readable> => {
    const folder = folderOf(key);
    const known = folder === undefined || !CACHED.test(key) ? undefined : listed.get(folder);
    if (!known) return store.get(key, options);
    const info = known.get(key);
    if (!info) throw new PgdrError('NOT_FOUND', `object ${key} does not exist in ${store.displayUrl}`);
    const hit = bodies.get(key);
    if (hit && hit.size === info.size && hit.time === info.lastModified.getTime())
      return Readable.from([hit.body]);
    const source = await store.get(key, options);
    return Readable.from(
      keepWhileReading(source, (body) => {
        if (body.length === info.size)
          bodies.set(key, { size: info.size, time: info.lastModified.getTime(), body });
      }),
    );
  };

  return {
    refresh() {
      listed.clear();
      if (refreshes++ % Math.max(1, o.fullEvery) === 0) bodies.clear();
    },
    displayUrl: store.displayUrl,
    put: (key, body, options) => store.put(key, body, options),
    get: cachedGet,
    async getBuffer(key, options) {
      const parts: Buffer[] = [];
      for await (const chunk of await cachedGet(key, options)) parts.push(chunk as Buffer);
      return Buffer.concat(parts);
    },
    head: (key, options) => store.head(key, options),
    delete: (keys, options) => store.delete(keys, options),
    checkAccess: (options) => store.checkAccess(options),
    close: () => store.close(),
    list(p: string, options?: ListOptions): Promise<ListResult> {
      if (options?.delimiter === '/' && folders.includes(p)) return listFolder(p, options);
      return store.list(p, options);
    },
  };
}

/** Passes the stream through, and hands over its whole body when it ended within MAX_CACHED_BYTES. */
async function* keepWhileReading(source: Readable, done: (body: Buffer) => void): AsyncGenerator<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      n += chunk.length;
      if (n <= MAX_CACHED_BYTES) parts.push(chunk);
      yield chunk;
    }
    if (n <= MAX_CACHED_BYTES) done(Buffer.concat(parts, n));
  } finally {
    source.destroy();
  }
}
