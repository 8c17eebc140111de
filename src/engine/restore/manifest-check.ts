// Every file a restore extracts checked against the backup's pgdr manifest (read by catalog/backup-manifest.ts):
// in it, with its size and CRC-32, and every file in it extracted.

import { MANIFEST_NAME, type ManifestTar } from '../../catalog/backup-manifest.js';
import { PgdrError } from '../../errors.js';
import { printable } from '../../tar/reader.js';
import type { ExtractedFile } from './tar-extract.js';

/** Checks one tar's files as the extractor writes them; `finish` once the tar is fully extracted. */
export class ManifestCheck {
  private readonly seen = new Set<string>();

  constructor(private readonly tar: ManifestTar) {}

  readonly onFile = (f: ExtractedFile): void => {
    const want = this.tar.files.get(f.name);
    const details = { member: f.name };
    if (want === undefined) {
      throw mismatch(
        `file '${printable(f.name)}' is not in the backup's manifest (${MANIFEST_NAME})`,
        details,
      );
    }
    this.seen.add(f.name);
    if (want.size !== f.size) {
      throw mismatch(
        `file '${printable(f.name)}' has ${f.size} bytes; the backup's manifest says ${want.size}`,
        details,
      );
    }
    if (want.crc32 !== f.crc32) {
      throw mismatch(
        `file '${printable(f.name)}' differs from the backup's manifest (CRC-32 ${f.crc32}, expected ${want.crc32})`,
        details,
      );
    }
  };

  get files(): number {
    return this.seen.size;
  }

  finish(): void {
    if (this.seen.size === this.tar.files.size) return;
    const missing = [...this.tar.files.keys()].filter((n) => !this.seen.has(n));
    const shown = missing.slice(0, 5).map((n) => `'${printable(n)}'`);
    throw mismatch(
      `${missing.length} file(s) of the backup's manifest are missing from the tar: ${shown.join(', ')}${missing.length > 5 ? ', ...' : ''}`,
      { missing: missing.slice(0, 100) },
    );
  }
}

function mismatch(message: string, details: Record<string, unknown>): PgdrError {
  return new PgdrError('CATALOG_INVALID', message, {
    hint: 'the backup is damaged: pick another backup with --backup-id',
    details,
  });
}
