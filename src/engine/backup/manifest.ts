// pgdr's own record of a backup: every file with its size and CRC-32 (and, beside them, its modification
// time, which a later incremental compares too), per tar. Stored as base/<id>/pgdr.json,
// a name barman-cloud-restore ignores (it only takes keys starting with `data` or a tablespace OID) and that
// barman's catalogue never reads, so it costs barman nothing and lets pgdr verify a backup later.
import type { CopiedPart } from './copy-tars.js';

export interface ManifestInput {
  readonly backupId: string;
  readonly compression: string;
  readonly level: number | undefined;
  readonly parts: readonly CopiedPart[];
}

export function manifestJson(m: ManifestInput): string {
  return `${JSON.stringify({
    format: 'pgdr-backup-manifest',
    version: 1,
    backupId: m.backupId,
    compression: m.compression,
    compressionLevel: m.level ?? null,
    tars: m.parts.map((p) => ({
      key: p.key.slice(p.key.lastIndexOf('/') + 1),
      group: p.plan.group,
      part: p.plan.index,
      dataBytes: p.plan.bytes,
      storedBytes: p.storedBytes,
      // [name, size, crc32] keeps the object small for clusters with many thousands of files.
      files: p.files.map((f) =>
        f.truncated ? [f.name, f.size, f.crc32, 'truncated'] : [f.name, f.size, f.crc32],
      ),
      // A list of its own beside `files`, so that a pgdr reading [name, size, crc32] rows still reads these.
      mtimes: p.files.map((f) => f.mtime),
    })),
  })}\n`;
}
