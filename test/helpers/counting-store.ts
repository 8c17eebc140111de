// An object store that records each list() call, as "prefix" or "prefix (/)" for a delimiter listing, so a test
// can say exactly which LIST requests a piece of code makes. Everything else goes to the real store.
import type { ListOptions, ObjectStore } from '../../src/storage/object-store.js';

export function countingStore(store: ObjectStore): { store: ObjectStore; calls: string[] } {
  const calls: string[] = [];
  const wrapped = Object.create(store) as ObjectStore;
  wrapped.list = (prefix: string, options?: ListOptions) => {
    calls.push(options?.delimiter ? `${prefix} (/)` : prefix);
    return store.list(prefix, options);
  };
  return { store: wrapped, calls };
}
