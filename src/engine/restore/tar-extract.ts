// A streaming tar extractor: a Writable that turns the (already decompressed) bytes of one tar into files
// below `dest`. Memory stays bounded: file data goes straight to disk, and the stream's backpressure waits
// for each write. Members that would land outside dest (absolute names, '..', paths through a symlink the
// archive itself made) are refused, which Python's tarfile in barman 3.x would not do.
import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { PgdrError } from '../../errors.js';
import { BLOCK, isZeroBlock, padded, parseHeader, parsePax, type RawHeader } from './tar-header-read.js';

export interface ExtractStats {
  files: number;
  dirs: number;
  links: number;
  bytes: number;
}

type State =
  | { kind: 'header' }
  | { kind: 'meta'; type: string; size: number; parts: Buffer[]; got: number }
  | { kind: 'data'; handle: FileHandle | undefined; left: number; pad: number; mtime: number; path: string }
  | { kind: 'skip'; left: number }
  | { kind: 'end' };

export class TarExtractor extends Writable {
  readonly stats: ExtractStats = { files: 0, dirs: 0, links: 0, bytes: 0 };
  private state: State = { kind: 'header' };
  private pending: Buffer = Buffer.alloc(0);
  private pax = new Map<string, string>();
  private globalPax = new Map<string, string>();
  private longName: string | undefined;
  private longLink: string | undefined;
  private readonly madeDirs = new Set<string>();
  private readonly symlinks = new Set<string>();
  /** Directory modes are applied at the end: a read-only directory would block its own members. */
  private readonly dirModes = new Map<string, number>();

  constructor(private readonly dest: string) {
    super({ highWaterMark: 1 << 20 });
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.consume(chunk).then(() => cb(), cb);
  }

  override _final(cb: (e?: Error | null) => void): void {
    this.finish().then(() => cb(), cb);
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    const s = this.state;
    const close = s.kind === 'data' && s.handle ? s.handle.close() : Promise.resolve();
    close.then(
      () => cb(err),
      () => cb(err),
    );
  }

  private async consume(chunk: Buffer): Promise<void> {
    let buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = Buffer.alloc(0);
    while (buf.length > 0) {
      const s = this.state;
      if (s.kind === 'end') return; // trailing zero records
      if (s.kind === 'data') {
        const n = Math.min(s.left, buf.length);
        if (n > 0 && s.handle) await writeAll(s.handle, buf.subarray(0, n));
        s.left -= n;
        this.stats.bytes += n;
        buf = buf.subarray(n);
        if (s.left === 0) {
          if (s.handle) {
            await s.handle.utimes(s.mtime, s.mtime);
            await s.handle.close();
          }
          this.state = s.pad > 0 ? { kind: 'skip', left: s.pad } : { kind: 'header' };
        }
        continue;
      }
      if (s.kind === 'skip') {
        const n = Math.min(s.left, buf.length);
        s.left -= n;
        buf = buf.subarray(n);
        if (s.left === 0) this.state = { kind: 'header' };
        continue;
      }
      if (s.kind === 'meta') {
        const n = Math.min(s.size - s.got, buf.length);
        s.parts.push(buf.subarray(0, n));
        s.got += n;
        buf = buf.subarray(n);
        if (s.got === s.size) {
          this.applyMeta(s.type, Buffer.concat(s.parts));
          const pad = padded(s.size) - s.size;
          this.state = pad > 0 ? { kind: 'skip', left: pad } : { kind: 'header' };
        }
        continue;
      }
      if (buf.length < BLOCK) break;
      const block = buf.subarray(0, BLOCK);
      buf = buf.subarray(BLOCK);
      await this.onHeader(block);
    }
    if (buf.length > 0) this.pending = Buffer.from(buf);
  }

  private async onHeader(block: Buffer): Promise<void> {
    if (isZeroBlock(block)) {
      this.state = { kind: 'end' };
      return;
    }
    const h = parseHeader(block);
    if (['x', 'g', 'L', 'K'].includes(h.type)) {
      this.state = { kind: 'meta', type: h.type, size: h.size, parts: [], got: 0 };
      if (h.size === 0) this.state = { kind: 'header' };
      return;
    }
    const attrs = new Map([...this.globalPax, ...this.pax]);
    const name = this.longName ?? attrs.get('path') ?? h.name;
    const linkname = this.longLink ?? attrs.get('linkpath') ?? h.linkname;
    const size = attrs.has('size') ? Number(attrs.get('size')) : h.size;
    const mtime = attrs.has('mtime') ? Number(attrs.get('mtime')) : h.mtime;
    this.pax = new Map();
    this.longName = undefined;
    this.longLink = undefined;
    await this.onMember({ ...h, name, linkname, size, mtime });
  }

  private applyMeta(type: string, body: Buffer): void {
    if (type === 'x') this.pax = parsePax(body);
    else if (type === 'g') for (const [k, v] of parsePax(body)) this.globalPax.set(k, v);
    else if (type === 'L') this.longName = body.toString('utf8').replace(/\u0000+$/, '');
    else this.longLink = body.toString('utf8').replace(/\u0000+$/, '');
  }

  private async onMember(h: RawHeader): Promise<void> {
    const rel = safeRelative(h.name);
    const path = rel === '' ? this.dest : join(this.dest, rel);
    this.refuseThroughSymlink(rel);
    const dataLeft = h.type === '0' || h.type === '7' ? h.size : 0;
    if (h.type === '5') {
      await this.mkdirp(path);
      this.dirModes.set(path, h.mode & 0o7777);
      this.stats.dirs++;
    } else if (h.type === '0' || h.type === '7') {
      await this.mkdirp(dirname(path));
      const handle = await fsp.open(path, 'w', 0o600);
      await handle.chmod(h.mode & 0o7777);
      this.stats.files++;
      this.state = { kind: 'data', handle, left: h.size, pad: padded(h.size) - h.size, mtime: h.mtime, path };
      if (h.size === 0) {
        await handle.utimes(h.mtime, h.mtime);
        await handle.close();
        this.state = { kind: 'header' };
      }
      return;
    } else if (h.type === '2') {
      await this.mkdirp(dirname(path));
      await fsp.symlink(h.linkname, path);
      this.symlinks.add(rel);
      this.stats.links++;
    } else if (h.type === '1') {
      await this.mkdirp(dirname(path));
      const target = safeRelative(h.linkname);
      this.refuseThroughSymlink(target);
      await fsp.link(join(this.dest, target), path);
      this.stats.links++;
    }
    // Devices, FIFOs and unknown types carry no data we need: PGDATA never holds them.
    if (h.size > 0 && dataLeft === 0 && h.type !== '5' && h.type !== '2' && h.type !== '1') {
      this.state = { kind: 'skip', left: padded(h.size) };
    }
  }

  private refuseThroughSymlink(rel: string): void {
    const parts = rel.split('/');
    for (let i = 1; i < parts.length; i++) {
      if (this.symlinks.has(parts.slice(0, i).join('/'))) {
        throw new PgdrError('CATALOG_INVALID', `tar member '${rel}' would be written through a symlink`, {
          hint: 'the backup tar is not one barman or pgdr writes; refusing to write outside the target',
        });
      }
    }
  }

  private async mkdirp(path: string): Promise<void> {
    if (this.madeDirs.has(path)) return;
    await fsp.mkdir(path, { recursive: true, mode: 0o700 });
    this.madeDirs.add(path);
  }

  private async finish(): Promise<void> {
    const s = this.state;
    if (s.kind === 'data' || s.kind === 'meta' || (s.kind === 'skip' && s.left > 0)) {
      throw new PgdrError('CATALOG_INVALID', 'the backup tar ends in the middle of a member (truncated)');
    }
    // Deepest first, so a parent's mode never blocks a child's chmod.
    const dirs = [...this.dirModes].sort((a, b) => b[0].length - a[0].length);
    for (const [path, mode] of dirs) await fsp.chmod(path, mode);
  }
}

/** The member name as a path relative to the destination ('' for the root), or a refusal. */
export function safeRelative(name: string): string {
  if (name.startsWith('/')) {
    throw new PgdrError('CATALOG_INVALID', `tar member '${name}' has an absolute path`, {
      hint: 'refusing to write outside the target folder',
    });
  }
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) {
    throw new PgdrError('CATALOG_INVALID', `tar member '${name}' climbs out with '..'`, {
      hint: 'refusing to write outside the target folder',
    });
  }
  return parts.join('/');
}

async function writeAll(handle: FileHandle, data: Buffer): Promise<void> {
  let off = 0;
  while (off < data.length) {
    const { bytesWritten } = await handle.write(data, off, data.length - off);
    off += bytesWritten;
  }
}
