// Counts the calls a command makes on its store, by kind, for the catalog benchmark (bench/catalog-scale.ts):
// the CLI wraps the store in this only when asked to (PGDR_STORE_CALLS_FILE), and writes the counts on close.
// A list() is one call here whatever its number of pages; a remote driver's pages are counted on the wire.
import type { ObjectStore } from './object-store.js';

export interface StoreCalls {
  list: number;
  get: number;
  head: number;
  put: number;
  delete: number;
}

export function countStoreCalls(store: ObjectStore): { store: ObjectStore; calls: StoreCalls } {
  const calls: StoreCalls = { list: 0, get: 0, head: 0, put: 0, delete: 0 };
  const count = <A extends unknown[], R>(kind: keyof StoreCalls, fn: (...a: A) => R) => {
    return (...a: A): R => {
      calls[kind]++;
      return fn(...a);
    };
  };
  const wrapped: ObjectStore = Object.create(store) as ObjectStore;
  Object.assign(wrapped, {
    list: count('list', store.list.bind(store)),
    get: count('get', store.get.bind(store)),
    getBuffer: count('get', store.getBuffer.bind(store)),
    head: count('head', store.head.bind(store)),
    put: count('put', store.put.bind(store)),
    delete: count('delete', store.delete.bind(store)),
  });
  return { store: wrapped, calls };
}
