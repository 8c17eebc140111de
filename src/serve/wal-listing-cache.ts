// The WAL listing of a big archive, kept between dashboard refreshes. barman-cloud files each segment under
// wals/<timeline><log>/ (16 hex digits), and new WAL only ever lands in the newest folder of a timeline or in a
// folder that sorts after it: so a refresh lists the folders (one LIST with a delimiter), then only the folder
// that was newest for its timeline at the last refresh and those after it; older folders come from the cache. Every `fullEvery`
// refreshes the whole prefix is listed again, which catches deletions inside older folders (retention).
import type { ListOptions, ListResult, ObjectInfo, ObjectStore } from '../storage/object-store.js';

const FOLDER = /^[0-9A-F]{16}\/$/;

export interface WalListingCacheOptions {
  /** A full listing every this many refreshes (1: always). */
  readonly fullEvery: number;
}

export interface WalListingCache extends ObjectStore {
  /** Starts a refresh: until the next call, every list('<server>/wals/') shares one listing. */
  refresh(): void;
}

/** The store, with list('<server>/wals/') answered from the cache as above; everything else passes through. */
export function walListingCache(
  store: ObjectStore,
  serverName: string,
  o: WalListingCacheOptions,
): WalListingCache {
  const prefix = `${serverName}/wals/`;
  /** Folder (relative, with the trailing '/') -> its objects, sorted by key. */
  let folders: Map<string, readonly ObjectInfo[]> | undefined;
  let refreshes = 0;
  /** This refresh's listing: the status and each standby's lag read the WAL prefix in one refresh. */
  let current: Promise<ListResult> | undefined;

  const full = async (options?: ListOptions): Promise<ListResult> => {
    const listed = await store.list(prefix, options);
    const next = new Map<string, ObjectInfo[]>();
    for (const obj of listed.objects) {
      const rel = obj.key.slice(prefix.length);
      const slash = rel.indexOf('/');
      if (slash < 0) continue;
      const folder = rel.slice(0, slash + 1);
      const list = next.get(folder);
      if (list) list.push(obj);
      else next.set(folder, [obj]);
    }
    folders = next;
    return listed;
  };

  const incremental = async (known: Map<string, readonly ObjectInfo[]>, options?: ListOptions) => {
    const top = await store.list(prefix, { delimiter: '/', signal: options?.signal });
    const names = top.prefixes.map((p) => p.slice(prefix.length));
    // The newest folder of each timeline at the last refresh (the first 8 hex digits name the timeline):
    // it and every folder after it may have grown since; folders before it are complete.
    const newest = new Map<string, string>();
    for (const n of [...known.keys()].sort()) if (FOLDER.test(n)) newest.set(n.slice(0, 8), n);
    const next = new Map<string, readonly ObjectInfo[]>();
    for (const n of names) {
      const cached = known.get(n);
      const relist = !cached || !FOLDER.test(n) || n >= (newest.get(n.slice(0, 8)) ?? '');
      next.set(n, relist ? (await store.list(prefix + n, { signal: options?.signal })).objects : cached);
    }
    folders = next;
    const objects = [...top.objects, ...[...next.values()].flat()].sort((a, b) =>
      a.key < b.key ? -1 : a.key > b.key ? 1 : 0,
    );
    return { objects, prefixes: [] };
  };

  const wrapped: WalListingCache = {
    refresh() {
      current = undefined;
    },
    displayUrl: store.displayUrl,
    put: (key, body, options) => store.put(key, body, options),
    get: (key, options) => store.get(key, options),
    getBuffer: (key, options) => store.getBuffer(key, options),
    head: (key, options) => store.head(key, options),
    delete: (keys, options) => store.delete(keys, options),
    checkAccess: (options) => store.checkAccess(options),
    close: () => store.close(),
    list(p: string, options?: ListOptions): Promise<ListResult> {
      if (p !== prefix || options?.delimiter) return store.list(p, options);
      if (current) return current;
      const n = refreshes++;
      const listing =
        folders && n % Math.max(1, o.fullEvery) !== 0 ? incremental(folders, options) : full(options);
      // A failed listing is not kept: the next caller tries again.
      current = listing.catch((e: unknown) => {
        current = undefined;
        throw e;
      });
      return current;
    },
  };
  return wrapped;
}
