// Every reader of a stored tar (restore, delta restore, backup verify) goes through here, so none can forget
// the check that follows the stream: for gzip, the member's trailer must hold the CRC-32 and length of the tar
// the reader took (computed once, by the reader: gzip-member.ts).
import type { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { decompressChecked } from '../compression/codecs.js';
import type { Compression } from '../compression/suffixes.js';
import type { TarReader } from './reader.js';

export async function readStoredTar(
  body: Readable,
  compression: Compression,
  reader: TarReader,
  o: { readonly counter: Transform; readonly signal?: AbortSignal | undefined },
): Promise<void> {
  const codec = decompressChecked(compression);
  await pipeline([body, o.counter, ...codec.stages, reader], { signal: o.signal });
  codec.verify(reader.stats.crc32, reader.stats.tarBytes);
}
