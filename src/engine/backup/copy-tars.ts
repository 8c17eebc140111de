// Uploads every tar of a backup concurrently. The main data tar (data.tar*) is special: it stays open until
// every other part has read its last file, then takes pg_control (so it is copied after every data file),
// and finally whatever `finalMembers` returns (pg_backup_stop runs there, so backup_label is the last member).

import { mapLimit } from '../../common/map-limit.js';
import { type TarCompression, tarSuffix } from '../../compression/suffixes.js';
import type { ObjectStore } from '../../storage/object-store.js';
import { DeflateSlots } from './parallel-gzip.js';
import type { PartPlan } from './plan-parts.js';
import type { FileRecord, TailItem } from './tar-stream.js';
import { type UploadedPart, uploadPart } from './upload-part.js';

export interface CopyTarsOptions {
  readonly store: ObjectStore;
  /** `<server>/base/<id>` */
  readonly prefix: string;
  readonly compression: TarCompression;
  readonly level: number | undefined;
  readonly jobs: number;
  /** Every part; exactly one has group 'data' and index 0. */
  readonly parts: readonly PartPlan[];
  /** Called once all other parts are read: pg_control, config files, backup_label... */
  readonly finalMembers: () => Promise<readonly TailItem[]>;
  readonly onRead: (bytes: number) => void;
  readonly onStored: (bytes: number) => void;
  readonly signal: AbortSignal;
}

export interface CopiedPart extends UploadedPart {
  readonly key: string;
  readonly plan: PartPlan;
  readonly files: FileRecord[];
}

function partKey(prefix: string, plan: Pick<PartPlan, 'group' | 'index'>, c: TarCompression): string {
  const n = plan.index > 0 ? `_${String(plan.index).padStart(4, '0')}` : '';
  return `${prefix}/${plan.group}${n}${tarSuffix(c)}`;
}

export async function copyTars(o: CopyTarsOptions): Promise<CopiedPart[]> {
  const inner = new AbortController();
  const signal = AbortSignal.any([o.signal, inner.signal]);
  const slots = new DeflateSlots(o.jobs);
  const main = o.parts.find((p) => p.group === 'data' && p.index === 0)!;
  const others = o.parts.filter((p) => p !== main);
  let unread = others.length;
  let allRead!: () => void;
  const othersRead = new Promise<void>((resolve, reject) => {
    allRead = resolve;
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
  othersRead.catch(() => undefined);
  if (unread === 0) allRead();

  const run = async (plan: PartPlan, tail: () => Promise<readonly TailItem[]>): Promise<CopiedPart> => {
    const key = partKey(o.prefix, plan, o.compression);
    const files: FileRecord[] = [];
    try {
      const up = await uploadPart({
        store: o.store,
        key,
        compression: o.compression,
        level: o.level,
        threads: o.jobs,
        slots,
        entries: plan.entries,
        tail,
        onRead: o.onRead,
        onStored: o.onStored,
        onFile: (f) => files.push(f),
        signal,
      });
      return { ...up, key, plan, files };
    } catch (e) {
      // One failed part fails the backup: stop the others now rather than upload for nothing.
      inner.abort(e);
      throw e;
    }
  };
  const markRead = async (): Promise<readonly TailItem[]> => {
    if (--unread === 0) allRead();
    return [];
  };
  const mainDone = run(main, async () => {
    await othersRead;
    return o.finalMembers();
  });
  // The main tar holds small files only and, once they are read, waits for the others: up to `jobs` others
  // at a time keep a stream reading for every deflate slot (deflate itself is capped by the slots).
  const otherDone = mapLimit(others, Math.max(1, o.jobs), (p) => run(p, markRead));
  const settled = await Promise.allSettled([mainDone, otherDone]);
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
  const [m, rest] = settled as [PromiseFulfilledResult<CopiedPart>, PromiseFulfilledResult<CopiedPart[]>];
  return [m.value, ...rest.value];
}
