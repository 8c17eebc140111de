// Damages stored backup tars the way a bad disk or a cut upload would: one byte flipped inside a member's data,
// a member removed, the archive cut at a member boundary. Members are found with pgdr's own TarReader.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { ObjectStore } from '../../src/storage/object-store.js';
import { TarReader } from '../../src/tar/reader.js';

export interface MemberAt {
  /** Offset of the member's header block in the tar. */
  readonly header: number;
  /** Offset of its first data byte. */
  readonly data: number;
  readonly size: number;
}

/** Where each file member lies in an (uncompressed) tar. */
export async function membersOf(tar: Buffer): Promise<Map<string, MemberAt>> {
  const out = new Map<string, MemberAt>();
  const reader = new TarReader({
    entry: (e) => {
      if (e.kind === 'file') out.set(e.name, { header: e.offset, data: e.offset + 512, size: e.size });
      return undefined;
    },
  });
  await pipeline(Readable.from([tar]), reader);
  return out;
}

/** Rewrites a gzip-compressed tar object through `edit`. */
export async function rewriteTar(
  store: ObjectStore,
  key: string,
  edit: (tar: Buffer) => Buffer | Promise<Buffer>,
): Promise<void> {
  const tar = gunzipSync(await store.getBuffer(key));
  await store.put(key, gzipSync(await edit(tar)));
}

export function flipByte(tar: Buffer, at: number): Buffer {
  const copy = Buffer.from(tar);
  copy[at] = (copy[at] ?? 0) ^ 0xff;
  return copy;
}

/** The tar without one member (header and padded data). */
export function withoutMember(tar: Buffer, m: MemberAt): Buffer {
  const end = m.data + Math.ceil(m.size / 512) * 512;
  return Buffer.concat([tar.subarray(0, m.header), tar.subarray(end)]);
}
