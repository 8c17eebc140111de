// Builds tars byte by byte, including what no honest writer produces: any type flag, raw PAX records, raw
// numeric fields, claimed sizes that differ from the data, missing end-of-archive blocks. For the tests of the
// tar reader and the hostile-bucket corpus.

export interface RawMember {
  readonly name: string;
  /** Type flag character; default '0' (file). */
  readonly type?: string;
  readonly data?: Buffer | string;
  /** The header's size field: a number (written in octal) or raw text; default the data's length. */
  readonly size?: number | string;
  readonly mode?: number;
  readonly linkname?: string;
  /** A PAX 'x' header before the member: records as key/value, or a raw body. */
  readonly pax?: Readonly<Record<string, string>> | Buffer;
}

const BLOCK = 512;

export function tarOf(members: readonly RawMember[], o: { end?: boolean } = {}): Buffer {
  const parts: Buffer[] = [];
  for (const m of members) {
    if (m.pax !== undefined) {
      const body = Buffer.isBuffer(m.pax)
        ? m.pax
        : Buffer.from(
            Object.entries(m.pax)
              .map(([k, v]) => paxRecord(k, v))
              .join(''),
            'utf8',
          );
      parts.push(block({ name: '././@PaxHeader', type: 'x', size: body.length }), padTo(body));
    }
    const data = typeof m.data === 'string' ? Buffer.from(m.data) : (m.data ?? Buffer.alloc(0));
    parts.push(
      block({
        name: m.name,
        type: m.type ?? '0',
        size: m.size ?? data.length,
        mode: m.mode,
        linkname: m.linkname,
      }),
      padTo(data),
    );
  }
  if (o.end ?? true) parts.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(parts);
}

export function block(f: {
  name: string;
  type: string;
  size: number | string;
  mode?: number | undefined;
  linkname?: string | undefined;
}): Buffer {
  const b = Buffer.alloc(BLOCK);
  b.write(f.name, 0, 100, 'utf8');
  b.write(`${(f.mode ?? 0o600).toString(8).padStart(7, '0')}\u0000`, 100, 8, 'latin1');
  b.write('0000000\u0000', 108, 8, 'latin1');
  b.write('0000000\u0000', 116, 8, 'latin1');
  const size = typeof f.size === 'number' ? `${f.size.toString(8).padStart(11, '0')}\u0000` : f.size;
  b.write(size, 124, 12, 'latin1');
  b.write(`${(1700000000).toString(8)}\u0000`, 136, 12, 'latin1');
  b.write(f.type, 156, 1, 'latin1');
  b.write(f.linkname ?? '', 157, 100, 'utf8');
  b.write('ustar\u000000', 257, 8, 'latin1');
  return sealHeader(b);
}

/** Writes a header block's checksum (after any change to it); returns the block. */
export function sealHeader(b: Buffer): Buffer {
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of b.subarray(0, BLOCK)) sum += byte;
  b.write(`${sum.toString(8).padStart(6, '0')}\u0000`, 148, 7, 'latin1');
  return b;
}

export function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bodyLen = Buffer.byteLength(body);
  let len = bodyLen + String(bodyLen).length;
  if (String(len).length + bodyLen !== len) len = String(len).length + bodyLen;
  return `${len}${body}`;
}

function padTo(data: Buffer): Buffer {
  const r = data.length % BLOCK;
  return r === 0 ? data : Buffer.concat([data, Buffer.alloc(BLOCK - r)]);
}
