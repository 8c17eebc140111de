// File-level incremental: a file whose size, modification time and CRC-32 match the parent's entry is
// referenced, not uploaded. The CRC is taken after the backup started, so any later change to the file is in
// the WAL this backup replays from, exactly as for a file copied while the cluster runs. The mtime guards the
// CRC: a file rewritten with the same size and, by chance, the same 32-bit CRC still has a newer mtime. A
// parent that recorded no mtimes (an older pgdr) has every file uploaded again once.
import { createReadStream } from 'node:fs';
import { crc32 } from 'node:zlib';
import { type ChainFile, fileKey } from '../../catalog/incremental-chain.js';
import { mapLimit } from '../../common/map-limit.js';
import { crcHex } from '../../compression/crc-hex.js';
import { type PartPlan, planParts } from './plan-parts.js';
import { headerMtime } from './tar-header.js';
import { unreadable } from './walk-tree.js';

type Reference = readonly [group: string, name: string, size: number, crc32: string, source: string];

export interface Referenced {
  readonly parts: PartPlan[];
  readonly references: Reference[];
  /** The mtime of each reference, in the same order. */
  readonly referenceMtimes: number[];
  readonly referencedBytes: number;
  /** CRC-32 of each compared file that differed, by fileKey: a block-level file records it (incremental-blocks.ts). */
  readonly crcs: ReadonlyMap<string, string>;
}

export async function referenceUnchanged(o: {
  parts: readonly PartPlan[];
  parent: ReadonlyMap<string, ChainFile>;
  jobs: number;
  signal: AbortSignal;
}): Promise<Referenced> {
  const candidates = o.parts.flatMap((p) =>
    p.entries
      .filter((e) => {
        const was = e.type === 'file' ? o.parent.get(fileKey(p.group, e.name)) : undefined;
        return (
          was !== undefined &&
          was.size === e.size &&
          was.mtime !== undefined &&
          was.mtime === headerMtime(e.mtime) &&
          !was.truncated
        );
      })
      .map((e) => ({ group: p.group, entry: e })),
  );
  const same = new Set<string>();
  const crcs = new Map<string, string>();
  const references: Reference[] = [];
  let referencedBytes = 0;
  await mapLimit(candidates, Math.max(2, o.jobs), async ({ group, entry }) => {
    o.signal.throwIfAborted();
    const key = fileKey(group, entry.name);
    const want = o.parent.get(key)!;
    const crc = await fileCrc(entry.path, entry.size);
    if (crc !== want.crc32) {
      if (crc !== undefined) crcs.set(key, crc);
      return;
    }
    same.add(key);
    references.push([group, key.slice(group.length + 1), want.size, want.crc32, want.source]);
    referencedBytes += want.size;
  });
  const groups = new Map<string, PartPlan['entries']>();
  for (const p of o.parts) {
    const kept = p.entries.filter((e) => !same.has(fileKey(p.group, e.name)));
    groups.set(p.group, [...(groups.get(p.group) ?? []), ...kept]);
  }
  const parts = [...groups].flatMap(([group, entries]) => planParts(group, entries, o.jobs));
  references.sort((a, b) => (a[0] + a[1] < b[0] + b[1] ? -1 : 1));
  const referenceMtimes = references.map(([group, name]) => o.parent.get(fileKey(group, name))!.mtime!);
  return { parts, references, referenceMtimes, referencedBytes, crcs };
}

/** CRC-32 of the file's first `size` bytes, zero-padded as the tar would store it; undefined once it vanished. */
export async function fileCrc(path: string, size: number): Promise<string | undefined> {
  let crc = 0;
  let n = 0;
  try {
    for await (const chunk of createReadStream(path, {
      end: size > 0 ? size - 1 : 0,
      highWaterMark: 1 << 20,
    })) {
      const b = chunk as Buffer;
      const take = Math.min(b.length, size - n);
      if (take <= 0) break;
      crc = crc32(b.subarray(0, take), crc);
      n += take;
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw unreadable(path, e);
  }
  // A file that shrank since it was listed is uploaded (the tar pads it), never referenced.
  if (n < size) return undefined;
  return crcHex(crc);
}
