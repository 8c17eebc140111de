// Block-level incremental: of the relation files the file-level pass still uploads, those the parent holds and
// the WAL summaries cover are uploaded as their changed blocks only (block-file.ts), in a member named after
// this backup so that several links' blocks for one file never collide on restore. Everything else stays
// whole. When the summaries do not cover the range from the parent's start, nothing changes and the reason is
// returned for the command output and the chain document.
//
// Each block-level file also gets the CRC-32 of the whole file as read during this backup (taken by the
// file-level pass when the size matched the parent's, read here otherwise): a valid content of the file for this
// backup, which a delta restore compares the local file with (the combined bytes may differ from it in blocks
// written after the backup started, which WAL replay sets either way).
import type pg from 'pg';
import {
  type BlockFileRow,
  blockMember,
  type ChainFile,
  fileKey,
  type ReadCrcRow,
} from '../../catalog/incremental-chain.js';
import { mapLimit } from '../../common/map-limit.js';
import { BLOCK_SIZE, blocksToSend, headerBytes, SEGMENT_BLOCKS } from './block-file.js';
import { readBlockSummary } from './block-summary.js';
import { fileCrc } from './incremental-reference.js';
import { type PartPlan, planParts } from './plan-parts.js';
import type { TreeEntry } from './walk-tree.js';

type IncrementalLevel = 'file' | 'block';

export interface BlockLevel {
  readonly level: IncrementalLevel;
  readonly fallbackReason?: string;
  readonly parts: PartPlan[];
  readonly blocks: BlockFileRow[];
  /** [group, name, CRC-32 of the whole file as read] of the block files whose read completed. */
  readonly readCrcs: ReadCrcRow[];
  /** Bytes of the files now sent as blocks, and of their block members. */
  readonly wholeBytes: number;
  readonly blockBytes: number;
}

const RELATION = /^(data\/(?:base\/\d+|global)\/\d+)(?:\.(\d+))?$/;
/** A main-fork segment in a tablespace's tar: 'OID/PG_17_202406281/DB/REL[.SEG]'. */
const TABLESPACE_RELATION = /^(\d+)\/PG_[^/]+\/(\d+)\/(\d+)(?:\.(\d+))?$/;

/**
 * The summaries' key of a relation segment file and its segment number; undefined for anything else (other
 * forks: the free space map is not WAL-logged, so the summaries cannot say which of its blocks changed; the
 * visibility map is tiny: both stay whole).
 */
export function relationOf(key: string): { relation: string; segment: number } | undefined {
  const d = RELATION.exec(key);
  if (d !== null) return { relation: d[1]!, segment: Number(d[2] ?? 0) };
  const t = TABLESPACE_RELATION.exec(key);
  if (t !== null) return { relation: `${t[1]}/${t[2]}/${t[3]}`, segment: Number(t[4] ?? 0) };
  return undefined;
}

export async function blockLevel(o: {
  client: pg.Client;
  versionNum: number;
  timeline: number;
  parentStart: string | null;
  start: string;
  backupId: string;
  parts: readonly PartPlan[];
  parent: ReadonlyMap<string, ChainFile>;
  /** CRC-32s the file-level pass computed, by fileKey. */
  crcs?: ReadonlyMap<string, string>;
  jobs: number;
  /** --incremental-level file: never look at the summaries. */
  fileOnly?: boolean;
}): Promise<BlockLevel> {
  const same = (fallbackReason: string): BlockLevel => ({
    level: 'file',
    fallbackReason,
    parts: [...o.parts],
    blocks: [],
    readCrcs: [],
    wholeBytes: 0,
    blockBytes: 0,
  });
  if (o.fileOnly) return same('--incremental-level file was given');
  if (o.parentStart === null) return same("the parent's backup.info has no begin_xlog");
  const summary = await readBlockSummary(o.client, {
    versionNum: o.versionNum,
    timeline: o.timeline,
    from: o.parentStart,
    to: o.start,
  });
  if (!summary.covered) return same(summary.reason);
  const blocks: BlockFileRow[] = [];
  const toRead: Array<{ group: string; name: string; path: string; size: number }> = [];
  let wholeBytes = 0;
  let blockBytes = 0;
  const groups = new Map<string, TreeEntry[]>();
  for (const p of o.parts) {
    const entries = groups.get(p.group) ?? [];
    groups.set(p.group, entries);
    for (const e of p.entries) {
      const key = fileKey(p.group, e.name);
      const rel = e.type === 'file' ? relationOf(key) : undefined;
      const was = o.parent.get(key);
      if (rel === undefined || was === undefined || was.truncated) {
        entries.push(e);
        continue;
      }
      const changes = summary.relations.get(rel.relation);
      const list = blocksToSend({
        segment: rel.segment,
        size: e.size,
        parentSize: was.size,
        modified: changes?.modified ?? new Set(),
        limit: changes?.limit,
      });
      const size = headerBytes(list.length) + list.length * BLOCK_SIZE;
      if (size >= e.size || e.size > SEGMENT_BLOCKS * BLOCK_SIZE) {
        entries.push(e);
        continue;
      }
      const name = key.slice(p.group.length + 1);
      entries.push({
        ...e,
        name: blockMember(e.name, o.backupId),
        size,
        blocks: { length: e.size, blocks: list },
      });
      blocks.push([p.group, name, e.size, was.source, [...(was.patches ?? []), o.backupId]]);
      toRead.push({ group: p.group, name, path: e.path, size: e.size });
      wholeBytes += e.size;
      blockBytes += size;
    }
  }
  const parts = [...groups].flatMap(([group, entries]) => planParts(group, entries, o.jobs));
  blocks.sort((a, b) => (a[1] < b[1] ? -1 : 1));
  const readCrcs: ReadCrcRow[] = [];
  await mapLimit(toRead, Math.max(2, o.jobs), async (f) => {
    const crc = o.crcs?.get(fileKey(f.group, f.name)) ?? (await fileCrc(f.path, f.size));
    if (crc !== undefined) readCrcs.push([f.group, f.name, crc]);
  });
  readCrcs.sort((a, b) => (a[1] < b[1] ? -1 : 1));
  return { level: 'block', parts, blocks, readCrcs, wholeBytes, blockBytes };
}
