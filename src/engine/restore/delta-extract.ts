// Streams one tar (already decompressed) over an existing data directory for a delta restore: a member the
// caller knows matches is read through and dropped; any other file is compared with the local one page by
// page as it streams and only the pages that differ are written, in place (then cut to the member's size).
// A file that is missing, not a regular file, or hard-linked elsewhere (pg_upgrade --link) is written anew.
// As tar-extract.ts, nothing is ever followed: every folder on the way is checked with lstat (a link or file
// in the way is removed and replaced by a folder), files are opened with O_NOFOLLOW, and only the pg_wal and
// pg_tblspc/<oid> links are accepted as members (recorded, not created).
import { constants, promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { crcHex } from '../../compression/crc-hex.js';
import { localFileError } from '../../errors.js';
import { damaged, type EntryData, type TarEntry, TarReader } from '../../tar/reader.js';
import { assertAllowedLink, type ExtractedFile, FolderVisitor } from './tar-extract.js';

export interface DeltaExtractStats {
  /** Files the tar holds. */
  files: number;
  /** Files left as they were (known to match, or every piece compared equal). */
  kept: number;
  /** Files with at least one byte written (or created, or cut). */
  fetched: number;
  bytesWritten: number;
  /** File bytes the tar's headers announced. */
  memberBytes: number;
}

export interface DeltaExtractOptions {
  /** True when the local file is known to hold the member's bytes already (its data is then dropped). */
  readonly known: (rel: string) => boolean;
  /** True for a member to read past without a trace (a link of a chain that does not hold that file). */
  readonly skip?: ((rel: string) => boolean) | undefined;
  /** Every file written or compared, with the size and CRC-32 of the member's bytes. */
  readonly onFile?: (f: ExtractedFile) => void;
  readonly maxBytes?: number | undefined;
}

const NEW_FILE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
const PATCH_FILE = constants.O_RDWR | constants.O_NOFOLLOW;

export class DeltaExtractor extends TarReader {
  readonly delta: DeltaExtractStats;
  /** Every file and folder the tar names, relative to dest ('' is dest). */
  readonly files: Set<string>;
  readonly dirs: Set<string>;

  constructor(dest: string, o: DeltaExtractOptions) {
    const v = new DeltaVisitor(dest, o);
    super(v);
    this.delta = v.stats;
    this.files = v.files;
    this.dirs = v.named;
  }
}

class DeltaVisitor extends FolderVisitor {
  readonly stats: DeltaExtractStats = { files: 0, kept: 0, fetched: 0, bytesWritten: 0, memberBytes: 0 };
  readonly files = new Set<string>();
  readonly named = new Set<string>(['']);
  private readonly checked = new Set<string>(['']);
  private readonly buffers: PieceBuffers = {};

  constructor(
    dest: string,
    private readonly o: DeltaExtractOptions,
  ) {
    super(dest);
  }

  protected async folder(rel: string): Promise<void> {
    await this.ensureDir(rel);
    this.named.add(rel);
  }

  protected async member(rel: string, e: TarEntry): Promise<EntryData | undefined> {
    if (rel === '')
      throw damaged(`tar member '${e.name}' names the target folder itself as a ${e.kind}`, e.name);
    if (e.kind === 'symlink') {
      assertAllowedLink(rel, e);
      return undefined;
    }
    if (e.kind === 'hardlink') {
      throw damaged(
        `tar member '${e.name}' is a hard link, which a delta restore does not apply: restore without --delta`,
        e.name,
      );
    }
    if (this.o.skip?.(rel)) return undefined;
    if (this.files.has(rel)) throw damaged(`tar member '${e.name}' appears twice`, e.name);
    this.files.add(rel);
    this.stats.files++;
    this.stats.memberBytes += e.size;
    if (this.o.maxBytes !== undefined && this.stats.memberBytes > this.o.maxBytes) {
      throw damaged(
        `the tar expands to more than the ${this.o.maxBytes} bytes expected (at member '${e.name}')`,
        e.name,
      );
    }
    await this.ensureDir(parentOf(rel));
    if (this.o.known(rel)) {
      this.stats.kept++;
      return undefined;
    }
    return this.patch(rel, e);
  }

  /** Writes the member over the local file, only where the bytes differ. */
  private async patch(rel: string, e: TarEntry): Promise<EntryData> {
    const path = this.path(rel);
    const st = await fsp.lstat(path).catch(() => undefined);
    let local: FileHandle | undefined;
    if (st?.isFile() && st.nlink === 1) local = await fsp.open(path, PATCH_FILE);
    else if (st !== undefined) await fsp.rm(path, { recursive: true, force: true });
    const handle = local ?? (await fsp.open(path, NEW_FILE, 0o600));
    const localSize = local === undefined ? 0 : st!.size;
    const out = new PieceWriter(handle, localSize, this.buffers);
    const fail = (err: unknown) => localFileError(err, path, 'write');
    return {
      write: async (chunk: Buffer) => {
        await out.write(chunk).catch((err) => {
          throw fail(err);
        });
      },
      end: async (crc) => {
        try {
          await out.flush();
          if (localSize > e.size) await handle.truncate(e.size);
          await handle.chmod(e.mode & 0o777);
          if (out.written > 0 || local === undefined || localSize !== e.size) {
            await handle.utimes(e.mtime, e.mtime);
            this.stats.fetched++;
          } else this.stats.kept++;
          await handle.close();
        } catch (err) {
          throw fail(err);
        }
        this.stats.bytesWritten += out.written;
        this.o.onFile?.({ name: rel, size: out.pos, crc32: crcHex(crc) });
      },
      abort: () => handle.close(),
    };
  }

  /** rel and every folder above it are real folders: a file or link in the way is replaced by one. */
  private async ensureDir(rel: string): Promise<void> {
    if (this.checked.has(rel)) return;
    await this.ensureDir(parentOf(rel));
    const path = this.path(rel);
    const st = await fsp.lstat(path).catch(() => undefined);
    if (st !== undefined && !st.isDirectory()) await fsp.rm(path, { force: true });
    // The links of a chain each name every folder and extract in parallel: another may create it first.
    if (st === undefined || !st.isDirectory())
      await fsp.mkdir(path, { mode: 0o700 }).catch(async (e: NodeJS.ErrnoException) => {
        if (e.code !== 'EEXIST' || !(await fsp.lstat(path)).isDirectory()) throw e;
      });
    else if ((st.mode & 0o700) !== 0o700) await fsp.chmod(path, st.mode | 0o700);
    this.checked.add(rel);
  }
}

interface PieceBuffers {
  local?: Buffer;
  run?: Buffer;
}

/** Local bytes read, and differing bytes gathered, this many at a time: few system calls, buffers reused. */
const BLOCK = 1 << 20;
/** PostgreSQL's page: what a change alters at the least. */
const PAGE = 8192;
/** Once this much of a file was compared, a file nearly all different is written without reading it on. */
const JUDGE_AFTER = 4 * BLOCK;

/**
 * The member's bytes laid over the local file at increasing offsets: each piece is compared with the local
 * bytes (read ahead a block at a time) and written only where it differs, runs of differing pieces gathered
 * into one write. A file whose compared pieces nearly all differ (every page of a table touched) stops being
 * read: the rest is written as a restore into an empty folder would, the comparison saving nothing there.
 */
class PieceWriter {
  pos = 0;
  written = 0;
  private compared = 0;
  private differed = 0;
  private localStart = 0;
  private localLen = 0;
  private runStart = 0;
  private runLen = 0;

  /** `b` is shared by the files of one tar, which are written one after the other. */
  constructor(
    private readonly h: FileHandle,
    private readonly localSize: number,
    private readonly b: PieceBuffers,
  ) {}

  async write(chunk: Buffer): Promise<void> {
    const at = this.pos;
    this.pos += chunk.length;
    const reading = this.compared < JUDGE_AFTER || this.differed * 8 < this.compared * 7;
    // Only what the local file holds is compared; the rest of the chunk, if any, is new.
    const upto = reading ? Math.max(0, Math.min(chunk.length, this.localSize - at)) : 0;
    if (upto > 0) await this.readLocal(at, upto);
    let i = 0;
    while (i < upto) {
      // Compared a page at a time (aligned on the file's pages): a chunk of the stream spans many pages, of
      // which a changed table may have altered one.
      const j = Math.min(upto, i + PAGE - ((at + i) % PAGE));
      const o = at + i - this.localStart;
      const same = o + j - i <= this.localLen && chunk.compare(this.b.local!, o, o + j - i, i, j) === 0;
      if (!same) {
        this.differed += j - i;
        await this.emit(chunk.subarray(i, j), at + i);
      }
      i = j;
    }
    this.compared += upto;
    if (upto < chunk.length) await this.emit(chunk.subarray(upto), at + upto);
  }

  async flush(): Promise<void> {
    if (this.runLen === 0) return;
    const n = this.runLen;
    this.runLen = 0;
    await this.put(this.b.run!.subarray(0, n), this.runStart);
  }

  /** The local bytes [at, at + n) into the read-ahead buffer, unless they are there already. */
  private async readLocal(at: number, n: number): Promise<void> {
    if (at >= this.localStart && at + n <= this.localStart + this.localLen) return;
    if ((this.b.local?.length ?? 0) < n) this.b.local = Buffer.allocUnsafe(Math.max(BLOCK, n));
    this.localStart = at;
    const want = Math.min(this.b.local!.length, this.localSize - at);
    this.localLen = await readAt(this.h, this.b.local!, at, want);
  }

  /** Differing bytes, gathered while they follow each other, written a block at a time. */
  private async emit(data: Buffer, at: number): Promise<void> {
    if (this.runLen > 0 && (this.runStart + this.runLen !== at || this.runLen + data.length > BLOCK))
      await this.flush();
    if (data.length > BLOCK) return this.put(data, at);
    if (this.runLen === 0) this.runStart = at;
    this.b.run ??= Buffer.allocUnsafe(BLOCK);
    data.copy(this.b.run, this.runLen);
    this.runLen += data.length;
  }

  private async put(data: Buffer, at: number): Promise<void> {
    let off = 0;
    while (off < data.length) {
      const { bytesWritten } = await this.h.write(data, off, data.length - off, at + off);
      off += bytesWritten;
    }
    this.written += data.length;
  }
}

/** Up to `want` bytes of the file at `pos` into buf (fewer only at its end). */
async function readAt(h: FileHandle, buf: Buffer, pos: number, want: number): Promise<number> {
  let n = 0;
  while (n < want) {
    const { bytesRead } = await h.read(buf, n, want - n, pos + n);
    if (bytesRead === 0) break;
    n += bytesRead;
  }
  return n;
}

function parentOf(rel: string): string {
  const i = rel.lastIndexOf('/');
  return i < 0 ? '' : rel.slice(0, i);
}
