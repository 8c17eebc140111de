// Everything under <server>/wals/, classified. There is no WAL index in the bucket: like barman we list it,
// take names with at most one compression suffix, and report the rest instead of failing.
import { type Compression, stripCompressionSuffix } from '../compression/suffixes.js';
import type { ObjectInfo, ObjectStore } from '../storage/object-store.js';
import { parseWalName, type WalKind } from './wal-name.js';

export interface WalObject {
  readonly key: string;
  /** The WAL file name without the compression suffix, e.g. 000000010000000000000006.partial. */
  readonly name: string;
  readonly kind: WalKind;
  readonly timeline: number;
  /** 24 hex digits (upper case); undefined for history files. */
  readonly segmentName: string | undefined;
  readonly compression: Compression;
  readonly size: number;
  readonly lastModified: Date;
}

interface UnknownWalObject {
  readonly key: string;
  readonly size: number;
  readonly lastModified: Date;
  readonly reason: string;
}

interface TimelineWal {
  readonly timeline: number;
  /** Sorted by name. */
  readonly segments: readonly WalObject[];
  readonly partials: readonly WalObject[];
  readonly backupLabels: readonly WalObject[];
  readonly history: WalObject | undefined;
}

export interface WalCatalog {
  readonly serverName: string;
  /** Every recognised object, sorted by key. */
  readonly objects: readonly WalObject[];
  /** Sorted by timeline. */
  readonly timelines: ReadonlyMap<number, TimelineWal>;
  /** Segment name (upper case) -> its segment and .partial objects, sorted by key. */
  readonly bySegment: ReadonlyMap<string, readonly WalObject[]>;
  /** Objects whose name is not a WAL name, or that sit where barman-cloud-wal-restore would not look. */
  readonly unknown: readonly UnknownWalObject[];
}

export async function listWal(
  store: ObjectStore,
  serverName: string,
  options: { signal?: AbortSignal } = {},
): Promise<WalCatalog> {
  const prefix = `${serverName}/wals/`;
  const listed = await store.list(prefix, { signal: options.signal });
  return classifyWal(serverName, listed.objects);
}

/** The pure part of listWal, for objects already listed (keys relative to the destination). */
export function classifyWal(serverName: string, listed: readonly ObjectInfo[]): WalCatalog {
  const objects: WalObject[] = [];
  const unknown: UnknownWalObject[] = [];
  for (const obj of listed) {
    const c = classified(serverName, obj);
    if ('reason' in c) unknown.push(c);
    else objects.push(c);
  }
  // A listing comes sorted: checking costs one pass, sorting again would cost many comparisons.
  if (!isSorted(objects)) objects.sort((a, b) => cmp(a.key, b.key));
  return {
    serverName,
    objects,
    timelines: groupByTimeline(objects),
    bySegment: groupBySegment(objects),
    unknown,
  };
}

// The dashboard classifies the same listed objects on every refresh (serve/wal-listing-cache.ts hands back the
// same ObjectInfo for a folder that did not change): what one object is, is worked out once per object.
const seen = new WeakMap<ObjectInfo, { serverName: string; c: WalObject | UnknownWalObject }>();

function classified(serverName: string, obj: ObjectInfo): WalObject | UnknownWalObject {
  const hit = seen.get(obj);
  if (hit?.serverName === serverName) return hit.c;
  const c = classify(serverName, obj);
  seen.set(obj, { serverName, c });
  return c;
}

function classify(serverName: string, obj: ObjectInfo): WalObject | UnknownWalObject {
  const prefix = `${serverName}/wals/`;
  const rel = obj.key.startsWith(prefix) ? obj.key.slice(prefix.length) : obj.key;
  const slash = rel.lastIndexOf('/');
  const base = rel.slice(slash + 1);
  const dir = slash < 0 ? '' : rel.slice(0, slash);
  // barman takes the name as it is, or with one compression suffix removed.
  let name = base;
  let compression: Compression = 'none';
  let parsed = parseWalName(base);
  if (!parsed) {
    ({ base: name, compression } = stripCompressionSuffix(base));
    if (name !== base) parsed = parseWalName(name);
  }
  if (!parsed) return { ...info(obj), reason: 'not a WAL, .partial, .backup or .history name' };
  // hashDir(name), from the name already parsed.
  const home = parsed.segmentName === undefined ? '' : parsed.segmentName.slice(0, 16);
  if (dir !== home) {
    const want = home === '' ? 'wals/' : `wals/${home}/`;
    return { ...info(obj), reason: `misplaced: barman-cloud-wal-restore looks for it in ${want}` };
  }
  // One literal of one shape: 100,000 of these are built for a big archive.
  return {
    key: obj.key,
    size: obj.size,
    lastModified: obj.lastModified,
    name,
    kind: parsed.kind,
    timeline: parsed.timeline,
    segmentName: parsed.segmentName,
    compression,
  };
}

function info(obj: ObjectInfo): { key: string; size: number; lastModified: Date } {
  return { key: obj.key, size: obj.size, lastModified: obj.lastModified };
}

function isSorted(objects: readonly { key: string }[]): boolean {
  for (let i = 1; i < objects.length; i++) if (objects[i - 1]!.key > objects[i]!.key) return false;
  return true;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function groupByTimeline(objects: readonly WalObject[]): Map<number, TimelineWal> {
  const groups = new Map<
    number,
    { segments: WalObject[]; partials: WalObject[]; backupLabels: WalObject[]; history?: WalObject }
  >();
  for (const o of objects) {
    let g = groups.get(o.timeline);
    if (!g) {
      g = { segments: [], partials: [], backupLabels: [] };
      groups.set(o.timeline, g);
    }
    if (o.kind === 'segment') g.segments.push(o);
    else if (o.kind === 'partial') g.partials.push(o);
    else if (o.kind === 'backup-label') g.backupLabels.push(o);
    // With the same history stored twice (two compressions), keep the one restore would find first.
    else g.history ??= o;
  }
  const out = new Map<number, TimelineWal>();
  for (const tli of [...groups.keys()].sort((a, b) => a - b)) {
    const g = groups.get(tli)!;
    const byName = (a: WalObject, b: WalObject): number => cmp(a.name, b.name) || cmp(a.key, b.key);
    out.set(tli, {
      timeline: tli,
      segments: g.segments.sort(byName),
      partials: g.partials.sort(byName),
      backupLabels: g.backupLabels.sort(byName),
      history: g.history,
    });
  }
  return out;
}

function groupBySegment(objects: readonly WalObject[]): Map<string, WalObject[]> {
  const out = new Map<string, WalObject[]>();
  for (const o of objects) {
    if (o.segmentName === undefined || o.kind === 'backup-label') continue;
    const list = out.get(o.segmentName);
    if (list) list.push(o);
    else out.set(o.segmentName, [o]);
  }
  return out;
}

/**
 * The object barman-cloud-wal-restore serves when PostgreSQL asks for `segmentName`: in key order, an exact
 * uncompressed match is only a candidate; the first other match (compressed, or a .partial) wins. So a lone
 * `X.partial[.gz]` is served as X. `noPartial` mirrors barman >= 3.x's --no-partial.
 */
export function restoreCandidate(
  wal: WalCatalog,
  segmentName: string,
  options: { noPartial?: boolean } = {},
): WalObject | undefined {
  const objects = wal.bySegment.get(segmentName.toUpperCase()) ?? [];
  let candidate: WalObject | undefined;
  for (const o of objects) {
    // restore matches keys by prefix in the case PostgreSQL asked for, which is upper case.
    if (!o.name.startsWith(segmentName)) continue;
    if (o.kind === 'partial' && options.noPartial) continue;
    if (o.name === segmentName && o.compression === 'none') {
      candidate = o;
      continue;
    }
    return o;
  }
  return candidate;
}
