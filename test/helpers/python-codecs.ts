// The Python modules barman-cloud uses (gzip, bz2, lzma, python-snappy, zstandard, lz4.frame) as an oracle for
// our codecs, run by Debian's /usr/bin/python3 like barman itself.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Compression } from '../../src/compression/suffixes.js';

/** PYTHONPATH entry fixing Debian bookworm's python3-snappy stream API (see its sitecustomize.py). */
export const SNAPPY_FIX = fileURLToPath(new URL('../../../test/fixtures/python-snappy-fix', import.meta.url));

export const PYTHON_MODULE: Record<Exclude<Compression, 'none'>, string> = {
  gzip: 'gzip',
  bzip2: 'bz2',
  xz: 'lzma',
  snappy: 'python-snappy',
  zstd: 'zstandard',
  lz4: 'lz4.frame',
};

const PY = `
import sys, gzip, bz2, lzma, io
op, codec, src, dst = sys.argv[1:5]
data = open(src, 'rb').read()
if op == 'c':
    if codec == 'gzip':
        out = io.BytesIO()
        with gzip.GzipFile(fileobj=out, mode='wb') as g: g.write(data)
        out = out.getvalue()
    elif codec == 'bzip2': out = bz2.compress(data)
    elif codec == 'xz': out = lzma.compress(data)
    elif codec == 'snappy':
        import snappy; o = io.BytesIO(); snappy.stream_compress(io.BytesIO(data), o); out = o.getvalue()
    elif codec == 'zstd':
        import zstandard; o = io.BytesIO(); zstandard.ZstdCompressor().copy_stream(io.BytesIO(data), o); out = o.getvalue()
    elif codec == 'lz4':
        import lz4.frame; out = lz4.frame.compress(data)
else:
    if codec == 'gzip': out = gzip.GzipFile(fileobj=io.BytesIO(data)).read()
    elif codec == 'bzip2': out = bz2.BZ2File(io.BytesIO(data)).read()
    elif codec == 'xz': out = lzma.open(io.BytesIO(data)).read()
    elif codec == 'snappy':
        import snappy; o = io.BytesIO(); snappy.stream_decompress(io.BytesIO(data), o); out = o.getvalue()
    elif codec == 'zstd':
        # What barman's decompress_in_mem does: stream_reader stops at the first frame.
        import zstandard; out = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data)).read()
    elif codec == 'lz4':
        import lz4.frame; out = lz4.frame.decompress(data)
open(dst, 'wb').write(out)
`;

export function pythonCodec(
  op: 'compress' | 'decompress',
  codec: Exclude<Compression, 'none'>,
  input: Buffer,
): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'pgdr-py-'));
  try {
    writeFileSync(join(dir, 'in'), input);
    execFileSync('/usr/bin/python3', ['-c', PY, op[0]!, codec, join(dir, 'in'), join(dir, 'out')], {
      env: { ...process.env, PYTHONPATH: SNAPPY_FIX },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    return readFileSync(join(dir, 'out'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
