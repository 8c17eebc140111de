// Writing a file so that readers see all of it or nothing, with one fsync rule: temp file in the same folder,
// fsync it, rename (or link) it into place, fsync the folder. A failure removes the temp file. Calls go through
// `promises` of node:fs so a test can watch which folders are fsynced.
import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { type Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

let tmpCount = 0;

export async function syncDir(dir: string): Promise<void> {
  const fh = await fsp.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Creates dir and any missing parents, then fsyncs the parent of each folder created, top down. */
export async function mkdirDurable(dir: string, mode?: number): Promise<void> {
  const first = await fsp.mkdir(dir, { recursive: true, ...(mode === undefined ? {} : { mode }) });
  if (first === undefined) return;
  const created: string[] = [];
  for (let d = dir; d !== dirname(first); d = dirname(d)) created.unshift(d);
  for (const d of created) await syncDir(dirname(d));
}

export interface AtomicWriteOptions {
  signal?: AbortSignal | undefined;
  /** false: no fsync (the caller voids the file after a machine crash some other way). */
  durable?: boolean | undefined;
  /** The file's mode; 0600 unless said. */
  mode?: number | undefined;
  /** The temp file's path (in dest's folder), where readers of the folder must recognise it. */
  tempPath?: string | undefined;
  /** Fail with EEXIST rather than replace an existing dest: link() checks and publishes in one step. */
  noReplace?: boolean | undefined;
}

/** Returns the number of bytes written. */
export async function writeFileAtomic(
  dest: string,
  source: Readable | Buffer | string,
  options: AtomicWriteOptions = {},
): Promise<number> {
  const durable = options.durable ?? true;
  // Unique per process and call; 'wx' refuses a leftover of the same name rather than sharing it.
  const tmp =
    options.tempPath ??
    join(
      dirname(dest),
      `.${basename(dest)}.pgdr-${process.pid}-${Date.now().toString(36)}-${tmpCount++}.tmp`,
    );
  let bytes = 0;
  try {
    const fh = await fsp.open(tmp, 'wx', options.mode ?? 0o600);
    try {
      const sink = handleSink(fh, (n) => {
        bytes += n;
      });
      const body = typeof source === 'string' || Buffer.isBuffer(source) ? [Buffer.from(source)] : source;
      // The write ends at the abort even while the source waits for data that never comes. A source that
      // watches the same signal (a download naming its object) fails first, and its error is the one reported:
      // the sink waits a turn of the event loop, as the source's error may cross a decompressor on its way.
      const onAbort = (): void => {
        setImmediate(() =>
          sink.destroy(
            Object.assign(new Error('the write was aborted'), { name: 'AbortError', code: 'ABORT_ERR' }),
          ),
        );
      };
      options.signal?.throwIfAborted();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      try {
        await pipeline(body, sink);
      } finally {
        options.signal?.removeEventListener('abort', onAbort);
      }
      if (durable) await fh.sync();
    } finally {
      await fh.close();
    }
    options.signal?.throwIfAborted();
    if (options.noReplace) {
      await fsp.link(tmp, dest);
      await fsp.unlink(tmp);
    } else {
      await fsp.rename(tmp, dest);
    }
  } catch (e) {
    if (typeof source !== 'string' && !Buffer.isBuffer(source)) source.destroy();
    await fsp.rm(tmp, { force: true });
    throw e;
  }
  if (durable) await syncDir(dirname(dest));
  return bytes;
}

// Writes through the handle without owning it. A stream on the bare fd closes that fd when destroyed (abort),
// and the fh.close() that follows would close the number a second time, when it may be another file's.
function handleSink(fh: FileHandle, written: (n: number) => void): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      writeAll(fh, chunk).then(() => {
        written(chunk.length);
        done();
      }, done);
    },
  });
}

async function writeAll(fh: FileHandle, b: Buffer): Promise<void> {
  for (let off = 0; off < b.length; ) off += (await fh.write(b, off, b.length - off)).bytesWritten;
}
