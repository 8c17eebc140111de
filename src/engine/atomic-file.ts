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
  options: { signal?: AbortSignal | undefined } = {},
): Promise<number> {
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
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, dest);
  } catch (e) {
    source.destroy();
    await rm(tmp, { force: true });
    throw e;
  }
  await syncDir(dirname(dest));
  return bytes;
}

/** Moves a finished file into place (same file system) durably. */
export async function renameDurable(from: string, to: string): Promise<void> {
  await rename(from, to);
  await syncDir(dirname(to));
}
