// What the pages checked while the tars streamed are worth, decided once global/pg_control is read: kept when
// the cluster has data checksums and uses 8 KiB pages in 1 GiB segments, dropped (and said so) otherwise.
import { readControlFile } from '../../postgres/control-file.js';
import { FindingList } from './findings.js';
import { PAGE_SIZE, type PageChecks, SEGMENT_BLOCKS } from './page-scan.js';
import type { PageSummary } from './types.js';

export interface PagesInput {
  /** global/pg_control as read from the data tar, and that tar's key; null when it was not read. */
  readonly control: { readonly key: string; readonly bytes: Buffer } | null;
  readonly pages: PageChecks | null;
  readonly truncatedFiles: number;
  /** Where a damaged pg_control and bad pages are added. */
  readonly failures: FindingList;
  /** Where the reason pages were not checked is added. */
  readonly notes: string[];
}

export function judgePages(i: PagesInput): { summary: PageSummary; warnings: FindingList } {
  const p = i.pages;
  const none: PageSummary = {
    state: 'not-checked',
    blockSize: null,
    relationFiles: p?.relationFiles ?? 0,
    checked: 0,
    failed: 0,
    skippedNew: 0,
    skippedChanged: 0,
    skippedTruncatedFiles: 0,
    partialTails: 0,
  };
  const warnings = new FindingList();
  if (i.control === null) {
    i.notes.push(
      'global/pg_control was not read, so whether the cluster has data checksums is unknown: pages not checked',
    );
    return { summary: none, warnings };
  }
  const read = readControlFile(i.control.bytes);
  if (!read.ok) {
    if (read.kind === 'damaged') {
      i.failures.add({
        kind: 'control',
        key: i.control.key,
        member: 'global/pg_control',
        message: `global/pg_control is damaged: ${read.problem}`,
      });
    }
    i.notes.push(`global/pg_control cannot be used (${read.problem}): pages not checked`);
    return { summary: none, warnings };
  }
  const c = read.control;
  if (c.dataChecksumVersion === 0) {
    i.notes.push('data checksums are off: pages not checked');
    return { summary: { ...none, state: 'off', blockSize: c.blockSize }, warnings };
  }
  if (c.blockSize !== PAGE_SIZE || c.segmentBlocks !== SEGMENT_BLOCKS) {
    i.notes.push(
      `the cluster uses ${c.blockSize}-byte pages in segments of ${c.segmentBlocks} blocks; pgdr checks ${PAGE_SIZE}-byte pages in 1 GiB segments: pages not checked`,
    );
    return { summary: { ...none, blockSize: c.blockSize }, warnings };
  }
  if (p === null) return { summary: { ...none, blockSize: c.blockSize }, warnings };
  i.failures.addAll(p.failures);
  warnings.addAll(p.partialTails);
  return {
    summary: {
      state: 'checked',
      blockSize: c.blockSize,
      relationFiles: p.relationFiles,
      checked: p.checked,
      failed: p.failures.count,
      skippedNew: p.skippedNew,
      skippedChanged: p.skippedChanged,
      skippedTruncatedFiles: i.truncatedFiles,
      partialTails: p.partialTails.count,
    },
    warnings,
  };
}
