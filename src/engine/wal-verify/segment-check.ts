// One WAL segment (or .partial) object: downloaded and decompressed as a stream (bounded to the segment size),
// cut into pages and walked record by record. Only a page and the codec's buffers are in memory at a time.
import type { WalObject } from '../../catalog/wal-catalog.js';
import { segmentNumber } from '../../catalog/wal-name.js';
import type { ObjectStore } from '../../storage/object-store.js';
import { boundedWalBody, damageOf } from '../wal-body.js';
import { RecordWalker } from './record-walker.js';
import { isWalBlockSize, LONG_HEADER, pageProblem, readPageHeader } from './wal-page.js';
import type { WalkResult } from './walk-result.js';

interface ObjectFailure {
  readonly lsn?: bigint | undefined;
  readonly message: string;
}

export interface SegmentCheck {
  readonly object: WalObject;
  readonly segNo: number;
  readonly segStart: bigint;
  /** undefined when the object cannot be read as WAL at all. */
  readonly walk: WalkResult | undefined;
  /** Problems of the object as a whole: its size, its compression, its first page. */
  readonly problems: readonly ObjectFailure[];
}

export interface SegmentCheckOptions {
  readonly segSize: number;
  readonly expectedTli: (pageAddr: bigint) => number;
  readonly signal?: AbortSignal | undefined;
}

export async function checkSegment(
  store: Pick<ObjectStore, 'get'>,
  obj: WalObject,
  o: SegmentCheckOptions,
): Promise<SegmentCheck> {
  let segNo: number;
  try {
    segNo = segmentNumber(obj.name.slice(0, 24), o.segSize);
  } catch (e) {
    return { object: obj, segNo: -1, segStart: -1n, walk: undefined, problems: [{ message: damageOf(e) }] };
  }
  const segStart = BigInt(segNo) * BigInt(o.segSize);
  const problems: ObjectFailure[] = [];
  const cutter = new PageCutter((head) => {
    const h = readPageHeader(head);
    const bs = h.long?.blockSize ?? 0;
    if (h.long && isWalBlockSize(bs) && o.segSize % bs === 0) {
      return new RecordWalker({ ...o, segStart, blockSize: bs, partial: obj.kind === 'partial' });
    }
    const why = pageProblem(h, {
      magic: h.magic,
      pageAddr: segStart,
      tli: o.expectedTli(segStart),
      first: true,
      segSize: o.segSize,
    });
    problems.push({ lsn: segStart, message: `page header: ${why ?? `WAL block size ${bs} is impossible`}` });
    return undefined;
  });
  try {
    const body = await store.get(obj.key, { signal: o.signal });
    for await (const chunk of boundedWalBody(body, { ...obj, segmentSize: o.segSize }))
      cutter.push(chunk as Buffer);
  } catch (e) {
    problems.push({ message: damageOf(e) });
  }
  return { object: obj, segNo, segStart, walk: cutter.walker?.result(), problems };
}

/** Cuts a byte stream into pages for the walker, once the first page's long header told their size. */
class PageCutter {
  walker: RecordWalker | undefined;
  private decided = false;
  private blockSize = 0;
  private carry: Buffer = Buffer.alloc(0);
  private index = 0;

  constructor(private readonly start: (head: Buffer) => RecordWalker | undefined) {}

  push(chunk: Buffer): void {
    if (!this.decided) {
      this.carry = Buffer.concat([this.carry, chunk]);
      if (this.carry.length < LONG_HEADER) return;
      this.decided = true;
      this.walker = this.start(this.carry);
      if (!this.walker) return;
      this.blockSize = this.walker.blockSize;
      chunk = this.carry;
      this.carry = Buffer.alloc(0);
    }
    if (!this.walker) return;
    const bs = this.blockSize;
    let i = 0;
    if (this.carry.length > 0) {
      const need = bs - this.carry.length;
      this.carry = Buffer.concat([this.carry, chunk.subarray(0, need)]);
      i = Math.min(need, chunk.length);
      if (this.carry.length < bs) return;
      this.walker.page(this.carry, this.index++);
      this.carry = Buffer.alloc(0);
    }
    for (; chunk.length - i >= bs; i += bs) this.walker.page(chunk.subarray(i, i + bs), this.index++);
    if (i < chunk.length) this.carry = Buffer.from(chunk.subarray(i));
  }
}
