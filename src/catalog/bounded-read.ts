// Reading a small catalog object (backup.info, a drill report) whole, with a size bound: whatever is in the
// bucket may be hostile, and an object claiming to be one of these but holding gigabytes must fail with its
// name rather than fill the memory. The stream is read, not trusted: a listed size can change before the GET.
import { PgdrError } from '../errors.js';
import type { ObjectStore } from '../storage/object-store.js';

export async function readBounded(
  store: ObjectStore,
  key: string,
  o: { maxBytes: number; what: string; signal?: AbortSignal | undefined },
): Promise<Buffer> {
  const stream = await store.get(key, { signal: o.signal });
  const chunks: Buffer[] = [];
  let n = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      n += chunk.length;
      if (n > o.maxBytes) throw tooLarge(key, o);
      chunks.push(chunk);
    }
  } finally {
    stream.destroy();
  }
  return Buffer.concat(chunks, n);
}

export function tooLarge(key: string, o: { maxBytes: number; what: string }): PgdrError {
  return new PgdrError('CATALOG_INVALID', `${key} is larger than ${o.maxBytes} bytes: not a ${o.what}`, {
    hint: `a ${o.what} is a few kilobytes: this object is damaged or was not written by pgdr or barman`,
  });
}
