import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  COMPRESSIONS,
  compressionOfSuffix,
  isCompression,
  isTarCompression,
  stripCompressionSuffix,
  stripTarSuffix,
  tarSuffix,
  walSuffix,
} from '../../src/compression/suffixes.js';

describe('compression suffixes', () => {
  it('maps every WAL compression to the suffix barman-cloud-wal-archive writes', () => {
    const expected = {
      none: '',
      gzip: '.gz',
      bzip2: '.bz2',
      xz: '.xz',
      snappy: '.snappy',
      zstd: '.zst',
      lz4: '.lz4',
    };
    for (const c of COMPRESSIONS) assert.equal(walSuffix(c), expected[c]);
    assert.equal(compressionOfSuffix('.zst'), 'zstd');
    assert.equal(compressionOfSuffix('.zstd'), undefined);
  });

  it('maps tar compressions to the extensions barman-cloud-restore accepts', () => {
    assert.deepEqual((['none', 'gzip', 'bzip2', 'snappy', 'lz4'] as const).map(tarSuffix), [
      '.tar',
      '.tar.gz',
      '.tar.bz2',
      '.tar.snappy',
      '.tar.lz4',
    ]);
    assert.ok(isTarCompression('lz4'));
    assert.ok(!isTarCompression('zstd'));
    assert.ok(!isTarCompression('xz'));
    assert.ok(isCompression('xz'));
    assert.ok(!isCompression('zst'));
  });

  it('strips only the last extension, like os.path.splitext', () => {
    assert.deepEqual(stripCompressionSuffix('000000010000000000000006.gz'), {
      base: '000000010000000000000006',
      compression: 'gzip',
    });
    assert.deepEqual(stripCompressionSuffix('000000010000000000000007.partial.zst'), {
      base: '000000010000000000000007.partial',
      compression: 'zstd',
    });
    assert.deepEqual(stripCompressionSuffix('000000010000000000000007.partial'), {
      base: '000000010000000000000007.partial',
      compression: 'none',
    });
    assert.deepEqual(stripCompressionSuffix('data.tar.gz'), { base: 'data.tar', compression: 'gzip' });
    assert.deepEqual(stripCompressionSuffix('x.gz.bz2'), { base: 'x.gz', compression: 'bzip2' });
    assert.deepEqual(stripCompressionSuffix('.gz'), { base: '.gz', compression: 'none' });
    assert.deepEqual(stripCompressionSuffix('wals/.gz'), { base: 'wals/.gz', compression: 'none' });
    assert.deepEqual(stripCompressionSuffix('X.GZ'), { base: 'X.GZ', compression: 'none' });
  });

  it('splits base-backup object names', () => {
    assert.deepEqual(stripTarSuffix('data.tar.gz'), { base: 'data', compression: 'gzip' });
    assert.deepEqual(stripTarSuffix('data_0001.tar'), { base: 'data_0001', compression: 'none' });
    assert.deepEqual(stripTarSuffix('16385.tar.lz4'), { base: '16385', compression: 'lz4' });
    assert.equal(stripTarSuffix('data.tar.zst'), undefined);
    assert.equal(stripTarSuffix('backup.info'), undefined);
    assert.equal(stripTarSuffix('.tar'), undefined);
  });
});
