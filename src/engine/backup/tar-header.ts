// Tar member headers in the format Python's tarfile writes with PAX_FORMAT (what barman-cloud-backup uses and
// what barman-cloud-restore reads in stream mode): a ustar header, preceded by a PAX extended header ('x')
// only when a value does not fit ustar (long or non-ASCII names, sizes >= 8 GiB, large ids).

const BLOCK = 512;

type TarType = 'file' | 'dir' | 'symlink';

export interface TarMember {
  /** Member name as barman writes it: relative, '/'-separated ('.', './PG_VERSION', 'base/1/1259'). */
  readonly name: string;
  readonly type: TarType;
  readonly size: number;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** Seconds since the epoch. */
  readonly mtime: number;
  readonly linkname?: string;
}

const TYPE_FLAG: Record<TarType, string> = { file: '0', dir: '5', symlink: '2' };

/** The header block(s) for a member; its data (padded to BLOCK) follows. */
export function memberHeader(m: TarMember): Buffer {
  // tarfile appends '/' to directory names (TarInfo.get_info).
  const name = m.type === 'dir' && !m.name.endsWith('/') ? `${m.name}/` : m.name;
  const pax: [string, string][] = [];
  const nameBytes = Buffer.from(name, 'utf8');
  if (nameBytes.length > 100 || !isAscii(name)) pax.push(['path', name]);
  const link = m.linkname ?? '';
  if (Buffer.byteLength(link) > 100 || !isAscii(link)) pax.push(['linkpath', link]);
  const size = m.type === 'file' ? m.size : 0;
  const fits = (v: number, digits: number) => v >= 0 && v < 8 ** (digits - 1);
  if (!fits(size, 12)) pax.push(['size', String(size)]);
  if (!fits(m.uid, 8)) pax.push(['uid', String(m.uid)]);
  if (!fits(m.gid, 8)) pax.push(['gid', String(m.gid)]);
  const ustar = ustarHeader({
    name: pax.some(([k]) => k === 'path') ? asciiPrefix(name) : name,
    linkname: pax.some(([k]) => k === 'linkpath') ? asciiPrefix(link) : link,
    type: TYPE_FLAG[m.type],
    size: fits(size, 12) ? size : 0,
    mode: m.mode & 0o7777,
    uid: fits(m.uid, 8) ? m.uid : 0,
    gid: fits(m.gid, 8) ? m.gid : 0,
    mtime: headerMtime(m.mtime),
  });
  if (pax.length === 0) return ustar;
  const records = Buffer.from(pax.map(([k, v]) => paxRecord(k, v)).join(''), 'utf8');
  const xHeader = ustarHeader({
    name: '././@PaxHeader',
    linkname: '',
    type: 'x',
    size: records.length,
    mode: 0o644,
    uid: 0,
    gid: 0,
    mtime: 0,
  });
  return Buffer.concat([xHeader, records, Buffer.alloc(padding(records.length)), ustar]);
}

/** Zero bytes needed after `size` bytes of data to reach the next block boundary. */
export function padding(size: number): number {
  const r = size % BLOCK;
  return r === 0 ? 0 : BLOCK - r;
}

/** Two zero blocks end an archive; tarfile then pads the stream to its 10240-byte record size. */
export function endOfArchive(written: number): Buffer {
  const RECORD = 20 * BLOCK;
  const total = written + 2 * BLOCK;
  const rem = total % RECORD;
  return Buffer.alloc(2 * BLOCK + (rem === 0 ? 0 : RECORD - rem));
}

interface UstarFields {
  name: string;
  linkname: string;
  type: string;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
}

function ustarHeader(f: UstarFields): Buffer {
  const b = Buffer.alloc(BLOCK);
  b.write(f.name, 0, 100, 'utf8');
  octal(b, 100, 8, f.mode);
  octal(b, 108, 8, f.uid);
  octal(b, 116, 8, f.gid);
  octal(b, 124, 12, f.size);
  octal(b, 136, 12, f.mtime);
  b.write(f.type, 156, 1, 'ascii');
  b.write(f.linkname, 157, 100, 'utf8');
  b.write('ustar\u000000', 257, 8, 'ascii');
  octal(b, 329, 8, 0);
  octal(b, 337, 8, 0);
  // The checksum is computed with its own field as eight spaces, then stored as 6 digits, NUL, space.
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of b) sum += byte;
  b.write(`${sum.toString(8).padStart(6, '0')}\u0000`, 148, 7, 'ascii');
  return b;
}

function octal(b: Buffer, offset: number, width: number, value: number): void {
  b.write(`${value.toString(8).padStart(width - 1, '0')}\u0000`, offset, width, 'ascii');
}

// "%d %s=%s\n" where the leading length counts the whole record, itself included.
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bodyLen = Buffer.byteLength(body);
  let len = bodyLen + String(bodyLen).length;
  if (String(len).length + bodyLen !== len) len = String(len).length + bodyLen;
  return `${len}${body}`;
}

function isAscii(s: string): boolean {
  return /^[\x00-\x7f]*$/.test(s);
}

// The ustar field keeps a readable stand-in; readers use the PAX value.
function asciiPrefix(s: string): string {
  let out = s.replace(/[^\x00-\x7f]/g, '_');
  while (Buffer.byteLength(out) > 100) out = out.slice(0, -1);
  return out;
}

/** The modification time a member's header holds: whole seconds, none before 1970. */
export function headerMtime(mtime: number): number {
  return Math.max(0, Math.floor(mtime));
}
