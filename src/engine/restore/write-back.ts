// Flushes each large restored file to disk once it is written, while the next ones extract, so the final sync
// (sync-tree.ts) finds little left to write instead of waiting for all of it at the end. One flush at a time:
// a flush holds a libuv thread for as long as the disk takes, and those threads also inflate and write.
// A flush error is kept and thrown by finish(): the kernel reports a write-back error once, so the final
// sync's fresh descriptor might never see it.
import type { FileHandle } from 'node:fs/promises';
import { localFileError } from '../../errors.js';

/** Files this large are flushed as soon as they are written; smaller ones are left to the final sync. */
export const WRITE_BACK_BYTES = 16 * 1024 * 1024;

export class WriteBack {
  private chain: Promise<void> = Promise.resolve();
  private failure: unknown;

  /** Flushes, then closes, the handle after the flushes queued before it; the caller must not use it again. */
  flushAndClose(handle: FileHandle, path: string): void {
    this.chain = this.chain.then(async () => {
      try {
        await handle.sync();
      } catch (e) {
        this.failure ??= localFileError(e, path, 'sync');
      }
      await handle.close().catch((e) => {
        this.failure ??= localFileError(e, path, 'write');
      });
    });
  }

  /** Waits for every flush queued; throws the first failure. */
  async finish(): Promise<void> {
    await this.chain;
    if (this.failure !== undefined) throw this.failure;
  }
}
