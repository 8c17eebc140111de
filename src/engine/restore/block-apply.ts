// The last step of extracting a chain with block-level files: each file's base bytes (from the link that holds
// them whole) and its block members (one per link that patched it) are all extracted, checked against their
// links' manifests; the members are now written over the base in chain order and removed, and the combined
// file must have the size the newest chain document records. Its CRC-32 is not recorded: the backup never read
// the combined bytes whole (blocks the summaries did not name may have changed on disk since), and WAL replay
// from the backup's start repairs any page written after it, as for any file copied from a running cluster.
import { promises as fsp } from 'node:fs';
import { mapLimit } from '../../common/map-limit.js';
import { localFileError, PgdrError } from '../../errors.js';
import { applyBlockFile } from '../backup/block-file.js';

export interface BlockPatch {
  /** The restored file (absolute path). */
  readonly file: string;
  readonly size: number;
  /** CRC-32 of the whole file as the backup read it, when recorded: a delta restore keeps a local file matching it. */
  readonly readCrc32?: string | undefined;
  /** The extracted block members, in chain order; `what` names the object and member for errors. */
  readonly patches: ReadonlyArray<{ readonly path: string; readonly what: string }>;
}

export async function applyBlockPatches(patches: readonly BlockPatch[], jobs: number): Promise<void> {
  await mapLimit([...patches], Math.max(1, jobs), async (p) => {
    for (const x of p.patches) await applyBlockFile(p.file, x.path, x.what);
    const st = await fsp.stat(p.file).catch((e) => {
      throw localFileError(e, p.file, 'stat');
    });
    if (st.size !== p.size) {
      throw new PgdrError(
        'CATALOG_INVALID',
        `${p.file} has ${st.size} bytes once its blocks are applied; the chain document says ${p.size} (${p.patches.at(-1)?.what})`,
        {
          hint: 'the chain is damaged: restore an older backup with --backup-id',
          details: { file: p.file },
        },
      );
    }
  });
}
