// A chunk's CRC-32, computed once where the chunk is read (for the file's checksum in the manifest) and handed
// to the gzip writer, which combines it into the CRC of the whole tar instead of reading the chunk again.
// Keyed by the Buffer object itself: a chunk copied or sliced on the way loses it, and is then read again.
const KNOWN = new WeakMap<Buffer, number>();

export function tagCrc(chunk: Buffer, crc: number): Buffer {
  KNOWN.set(chunk, crc);
  return chunk;
}

export function knownCrc(chunk: Buffer): number | undefined {
  return KNOWN.get(chunk);
}
