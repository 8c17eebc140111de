import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { crc32, gunzipSync } from 'node:zlib';
import { tagCrc } from '../../src/engine/backup/known-crc.js';
import { ParallelGzip } from '../../src/engine/backup/parallel-gzip.js';

async function compress(input: Buffer, chunk = 65_536, tag = false): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (let i = 0; i < input.length; i += chunk) {
    const part = input.subarray(i, i + chunk);
    parts.push(tag ? tagCrc(part, crc32(part)) : part);
  }
  const out: Buffer[] = [];
  for await (const c of Readable.from(parts).pipe(new ParallelGzip(1, 3))) out.push(c as Buffer);
  return Buffer.concat(out);
}

describe('ParallelGzip', () => {
  it('writes one gzip member that zlib and Python read back exactly', async () => {
    // Several 1 MiB blocks, a tail, compressible and random parts.
    const input = Buffer.concat([Buffer.alloc(2_500_000, 'abc'), randomBytes(1_300_000), Buffer.from('end')]);
    const gz = await compress(input);
    assert.ok(gz.length < input.length);
    assert.deepEqual(gunzipSync(gz), input);
    // Python's zlib.decompressobj (what tarfile 'r|gz' uses) must consume it all as ONE member.
    const py = [
      'import sys, zlib',
      'data = sys.stdin.buffer.read()',
      'd = zlib.decompressobj(16 + zlib.MAX_WBITS)',
      'out = d.decompress(data)',
      'print(len(out), len(d.unused_data), d.eof)',
    ].join('\n');
    const r = spawnSync('/usr/bin/python3', ['-c', py], { input: gz });
    assert.equal(r.status, 0, r.stderr.toString());
    assert.equal(r.stdout.toString().trim(), `${input.length} 0 True`);
  });

  it('takes the CRC of chunks the reader tagged, and of the others by reading them, in order', async () => {
    const input = Buffer.concat([randomBytes(3_000_000), Buffer.alloc(1_700_000, 'xyz'), randomBytes(513)]);
    // Chunks of 1 MiB (sent as they are) and odd sizes (gathered into blocks), tagged or not.
    for (const chunk of [1 << 20, 700_001, 5 << 20])
      for (const tag of [true, false]) assert.deepEqual(gunzipSync(await compress(input, chunk, tag)), input);
  });

  it('trusts a tagged CRC: a wrong one fails the trailer check', async () => {
    const input = randomBytes(100_000);
    const gz = await (async () => {
      const out: Buffer[] = [];
      const wrong = tagCrc(input, (crc32(input) ^ 1) >>> 0);
      for await (const c of Readable.from([wrong]).pipe(new ParallelGzip(1, 2))) out.push(c as Buffer);
      return Buffer.concat(out);
    })();
    assert.throws(() => gunzipSync(gz), /incorrect data check/);
  });

  it('handles empty input', async () => {
    assert.deepEqual(gunzipSync(await compress(Buffer.alloc(0))), Buffer.alloc(0));
  });
});
