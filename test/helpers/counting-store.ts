// An object store that records each list() call, as "prefix" or "prefix (/)" for a delimiter listing, and the key
// of each get()/getBuffer(), so a test can say exactly which LIST and GET requests a piece of code makes.
// Everything else goes to the real store.
import type { ListOptions, ObjectStore } from '../../src/storage/object-store.js';

export function countingStore(store: ObjectStore): { store: ObjectStore; calls: string[]; gets: string[] } {
  const calls: string[] = [];
  const gets: string[] = [];
  const wrapped = Object.create(store) as ObjectStore;
  wrapped.get = (key, options) => {
    gets.push(key);
    return store.get(key, options);
  };
  wrapped.getBuffer = (key, options) => {
    gets.push(key);
    return store.getBuffer(key, options);
  };
  wrapped.list = (prefix: string, options?: ListOptions) => {
    calls.push(options?.delimiter ? `${prefix} (/)` : prefix);
    return store.list(prefix, options);
  };
  return { store: wrapped, calls, gets };
}
