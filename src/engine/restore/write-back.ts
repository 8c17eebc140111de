// Flushes large restored files to disk while the restore goes on, so the final sync (sync-tree.ts) finds little
// left to write instead of waiting for all of it at the end: a large file is flushed every FLUSH_EVERY bytes
// while it is written, when no other flush runs, and once more when it is complete. A flush holds a libuv
// thread for as long as the disk takes, and those threads also inflate and write: at most one flush of a file
// being written and one of a complete file run at once.
// A flush error is kept and thrown by finish(): the kernel reports a write-back error once, so the final
// sync's fresh descriptor might never see it.
import type { FileHandle } from 'node:fs/promises';
import { localFileError } from '../../errors.js';

/** Files this large are flushed as soon as they are written; smaller ones are left to the final sync. */
export const WRITE_BACK_BYTES = 16 * 1024 * 1024;
/** A file being written is flushed each time this much more of it was written (when no flush runs). */
export const FLUSH_EVERY = 64 * 1024 * 1024;

export class WriteBack {
  private chain: Promise<void> = Promise.resolve();
  private failure: unknown;
  private running = 0;
  private readonly midway = new Map<FileHandle, Promise<void>>();

  /** Starts flushing what the handle holds so far, unless a flush runs already; true when started. */
  flushSoFar(handle: FileHandle, path: string): boolean {
    if (this.running > 0 || this.midway.has(handle)) return false;
    this.running++;
    const p = this.sync(handle, path).finally(() => {
      this.running--;
      this.midway.delete(handle);
    });
    this.midway.set(handle, p);
    return true;
  }

  /** Flushes, then closes, the handle after the flushes queued before it; the caller must not use it again. */
  flushAndClose(handle: FileHandle, path: string): void {
    const before = this.midway.get(handle);
    this.chain = this.chain.then(async () => {
      await before;
      this.running++;
      try {
        await this.sync(handle, path);
      } finally {
        this.running--;
      }
      await handle.close().catch((e) => {
        this.failure ??= localFileError(e, path, 'write');
      });
    });
  }

  /** Waits for every flush queued; throws the first failure. */
  async finish(): Promise<void> {
    await this.chain;
    await Promise.all(this.midway.values());
    if (this.failure !== undefined) throw this.failure;
  }

  private async sync(handle: FileHandle, path: string): Promise<void> {
    try {
      await handle.sync();
    } catch (e) {
      this.failure ??= localFileError(e, path, 'sync');
    }
  }
}
