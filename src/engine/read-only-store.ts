// A view of a store for commands that must only read (verification): any write is a bug and fails loudly
// instead of touching the bucket.
import { PgdrError } from '../errors.js';
import type { ObjectStore } from '../storage/object-store.js';

export function readOnlyStore(store: ObjectStore): ObjectStore {
  const refuse = async (): Promise<never> => {
    throw new PgdrError('INTERNAL', `a read-only run tried to change ${store.displayUrl}`);
  };
  return {
    displayUrl: store.displayUrl,
    get: (key, options) => store.get(key, options),
    getBuffer: (key, options) => store.getBuffer(key, options),
    head: (key, options) => store.head(key, options),
    list: (prefix, options) => store.list(prefix, options),
    checkAccess: (options) => store.checkAccess(options),
    put: refuse,
    delete: refuse,
    close: () => store.close(),
  };
}
