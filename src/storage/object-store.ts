// One storage interface for every driver. Keys are relative to the destination path (bucket + prefix for s3://,
// the folder for file://) and always use '/'. Every driver passes the same conformance suite
// (test/integration/storage-conformance.test.ts); the contract of each method is written here.
//
// Every call ends in bounded time: a remote driver gives up on a store that does not answer (or answers too
// slowly) with STORE_UNREACHABLE or STORE_ERROR naming the call, the key and the deadline that passed
// (objectStore.timeouts), and an aborted signal ends a call at once. When the signal's reason is a PgdrError
// carrying details.deadline (a command's budget), the call fails with that deadline's error, not ABORTED.
import type { Readable } from 'node:stream';

export interface ObjectInfo {
  readonly key: string;
  readonly size: number;
  readonly lastModified: Date;
}

export interface ListOptions {
  /** With '/', keys below the next '/' after the prefix are folded into `prefixes` (like S3 CommonPrefixes). */
  readonly delimiter?: '/';
  readonly signal?: AbortSignal;
}

export interface ListResult {
  /** Sorted by key (byte order). */
  readonly objects: readonly ObjectInfo[];
  /** Sorted; each ends with the delimiter. */
  readonly prefixes: readonly string[];
}

export interface PutOptions {
  readonly signal?: AbortSignal;
  /** Only store when no object has this key; otherwise throw CONFLICT and leave the stored one untouched. */
  readonly ifAbsent?: boolean;
}

export type Body = Buffer | Readable;

export interface ObjectStore {
  /** The destination, for messages: never holds credentials. */
  readonly displayUrl: string;

  /**
   * Stores the body under key. Atomic: readers see the whole object or none; a failed or aborted put leaves no
   * partial object. Resolves only once the object is durably stored. Overwrites unless `ifAbsent`.
   */
  put(key: string, body: Body, options?: PutOptions): Promise<void>;

  /**
   * A stream of the object's bytes. Throws NOT_FOUND when it does not exist. The stream is continuous: when a
   * remote driver's connection breaks off or stalls midway, it fetches the rest from the next byte (a bounded
   * number of times, with backoff) and the reader never sees it; if the object changed meanwhile (other ETag or
   * size), the stream fails with STORE_ERROR naming the key rather than mix two versions. A reader that stops
   * reading for a while is never taken for a stalled store.
   */
  get(key: string, options?: { signal?: AbortSignal }): Promise<Readable>;

  /** The whole object in memory; for small objects only (backup.info, history files). Throws NOT_FOUND. */
  getBuffer(key: string, options?: { signal?: AbortSignal }): Promise<Buffer>;

  /** The object's size and time, or undefined when it does not exist. */
  head(key: string, options?: { signal?: AbortSignal }): Promise<ObjectInfo | undefined>;

  /** Every key starting with prefix (all pages), sorted. */
  list(prefix: string, options?: ListOptions): Promise<ListResult>;

  /** Deletes the keys; keys that do not exist are not an error. */
  delete(keys: readonly string[], options?: { signal?: AbortSignal }): Promise<void>;

  /**
   * Proves the destination is usable for reading: reachable, credentials accepted, bucket (folder) present.
   * Throws STORE_UNREACHABLE, STORE_AUTH or BUCKET_MISSING with a hint.
   */
  checkAccess(options?: { signal?: AbortSignal }): Promise<void>;

  /**
   * Only drivers with upload settings (encryption, tags): stores and deletes one small probe object under
   * `<serverName>/pgdr/` with each distinct set of those settings, so a store that refuses one is named before
   * an upload needs it. Resolves undefined when no such setting is configured; throws the store's error,
   * with details.feature naming the settings it refused.
   */
  probeUploads?(serverName: string, options?: { signal?: AbortSignal }): Promise<string[] | undefined>;

  /**
   * Where the credentials come from and whom they act as ("web identity role arn:...", "the service-account
   * key {file: ...} of sa@..."), for `pgdr check`: never the secret. Undefined for stores without credentials.
   */
  credentialSource?(options?: { signal?: AbortSignal }): Promise<string | undefined>;

  /** Releases sockets and file handles. */
  close(): Promise<void>;
}

export function joinKey(...parts: string[]): string {
  return parts
    .filter((p) => p !== '')
    .join('/')
    .replace(/\/{2,}/g, '/');
}

/**
 * One server's folder in a store (destination path + serverName), and the caller's abort: where the engine's
 * operations on an archive start from.
 */
export interface ServerTarget {
  readonly store: ObjectStore;
  readonly serverName: string;
  readonly signal?: AbortSignal | undefined;
}
