// What a case of the hostile-bucket corpus is (hostile-bucket-cases.ts lists them), and the pieces the case
// lists share: regexes naming bucket keys, sizes, compressed copies made once per run.
import { compressBuffer } from '../../src/compression/codecs.js';
import {
  type Compression,
  type TarCompression,
  tarSuffix,
  walSuffix,
} from '../../src/compression/suffixes.js';
import { ERRORS } from '../../src/errors.js';
import type { BaseBucket, CaseBucket, Layout } from './hostile-buckets.js';

export type RunKind = 'restore' | 'restore-start' | 'wal-restore';

export interface BuildContext {
  readonly layout: Layout;
  readonly base: BaseBucket;
  /** The folder the case restores into. */
  readonly target: string;
}

export interface HostileCase {
  readonly name: string;
  /** How the bucket differs from the healthy one. */
  readonly what: string;
  /** restore: `restore --no-start`; restore-start: a full restore; wal-restore: `wal restore NAME DEST`. */
  readonly run: RunKind;
  /** For wal-restore: the WAL name asked for (default: the damaged segment, base.victimWal). */
  readonly wal?: (b: BaseBucket) => string;
  readonly expect: { readonly code: number; readonly message: RegExp };
  readonly fixedBy: string;
  /** After the run, the target holds fewer bytes than this (a bomb did not fill the disk). */
  readonly limitBytes?: number;
  build(b: CaseBucket, ctx: BuildContext): Promise<void>;
  /** More checks after a run that succeeded: its target and standard output. */
  verify?(target: string, stdout: string, base: BaseBucket): Promise<void>;
}

export const INVALID = ERRORS.CATALOG_INVALID.exitCode;
export const WAL_BOMB_BYTES = 64 << 20;
export const SEGMENT = 16 << 20;

export const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
/** Every part, in any order, somewhere in the output. */
export const all = (...parts: string[]) => new RegExp(parts.map((p) => `(?=[\\s\\S]*${p})`).join(''));
export const DATA = String.raw`base/\d{8}T\d{6}/data\.tar`;
export const dataKey = (c: TarCompression) => `${DATA}${esc(tarSuffix(c).slice(4))}(?![.\\w])`;
export const walKeyRe = (c: Compression) =>
  String.raw`wals/[0-9A-F]{16}/[0-9A-F]{24}${esc(walSuffix(c))}(?![.\w])`;
export const member = (name: string) => `'${esc(name)}'`;

const compressedTars = new WeakMap<Buffer, Map<Compression, Promise<Buffer>>>();
/** data.tar (or a WAL segment) through codec c, computed once per run. */
export function compressedOnce(buf: Buffer, c: Compression): Promise<Buffer> {
  const m = compressedTars.get(buf) ?? new Map<Compression, Promise<Buffer>>();
  compressedTars.set(buf, m);
  const p = m.get(c) ?? compressBuffer(c, buf);
  m.set(c, p);
  return p;
}
