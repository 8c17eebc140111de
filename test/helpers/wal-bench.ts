// The set-up of the suites that drive bin/pgdr and the CLI by hand on generated WAL: segments, a work folder
// the server's OS user can reach, and a bin/pgdr that counts its node starts; the WAL services the calls
// started there are stopped before the folder goes.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { type CountedPgdr, countedPgdr } from './pgdr-exe.js';
import { generateWalSegments, type WalSegments } from './wal-segments.js';
import { stopServices } from './wal-service.js';

export interface WalBench {
  readonly segs: WalSegments;
  readonly work: string;
  readonly counted: CountedPgdr;
  /** The name of segment i. */
  name(i: number): string;
}

/** Made by a before hook of the suite it is called in, removed by an after hook: read it inside tests only. */
export function walBench(prefix: string): WalBench {
  let segs: WalSegments | undefined;
  let work = '';
  let counted: CountedPgdr | undefined;
  before(async () => {
    segs = await generateWalSegments({ count: 3 });
    work = await mkdtemp(join(tmpdir(), prefix));
    await chmod(work, 0o755);
    counted = await countedPgdr(work);
  });
  after(async () => {
    await segs?.cleanup();
    if (work) {
      await stopServices(work);
      await rm(work, { recursive: true, force: true });
    }
  });
  return {
    get segs() {
      return segs!;
    },
    get work() {
      return work;
    },
    get counted() {
      return counted!;
    },
    name: (i) => segs!.names[i]!,
  };
}
