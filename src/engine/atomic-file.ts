// Writing a file so that readers see all of it or nothing: temp file in the same folder, fsync, rename, fsync
// the folder. A failure removes the temp file.
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Readable } from 'node:stream';

let tmpCount = 0;

export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export async function writeFileAtomic(
  dest: string,
  source: Readable,
  options: {
    signal?: AbortSignal | undefined;
    /** false: no fsync (the caller voids the file after a machine crash some other way). */
    durable?: boolean | undefined;
  } = {},
): Promise<number> {
  const durable = options.durable ?? true;
  // Unique per process and call; 'wx' refuses a leftover of the same name rather than sharing it.
  const tmp = join(
    dirname(dest),
    `.${basename(dest)}.pgdr-${process.pid}-${Date.now().toString(36)}-${tmpCount++}.tmp`,
  );
  let bytes = 0;
  try {
    const fh = await open(tmp, 'wx', 0o600);
    try {
      for await (const chunk of source) {
        options.signal?.throwIfAborted();
        const b = chunk as Buffer;
        for (let off = 0; off < b.length; ) off += (await fh.write(b, off, b.length - off)).bytesWritten;
        bytes += b.length;
      }
      if (durable) await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, dest);
  } catch (e) {
    source.destroy();
    await rm(tmp, { force: true });
    throw e;
  }
  if (durable) await syncDir(dirname(dest));
  return bytes;
}
