// The pgdr manifest as a restore reads it back: its shape validated (it comes from the bucket), then every
// extracted file checked against it while a real TarExtractor writes the tar.
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import { ManifestCheck, type ManifestTar, parseManifest } from '../../src/engine/restore/manifest-check.js';
import { TarExtractor } from '../../src/engine/restore/tar-extract.js';
import { isPgdrError } from '../../src/errors.js';
import { type RawMember, tarOf } from '../helpers/hostile-tar.js';
import { dataMembers, manifestFiles } from '../helpers/synthetic-backup.js';

const KEY = 'pg/base/B/pgdr.json';

function manifest(tars: unknown, extra: Record<string, unknown> = {}): Buffer {
  return Buffer.from(
    JSON.stringify({ format: 'pgdr-backup-manifest', version: 1, backupId: 'B', tars, ...extra }),
  );
}

function invalid(body: Buffer, message: RegExp): void {
  assert.throws(
    () => parseManifest(body, KEY, 'B'),
    (e) => {
      assert.ok(isPgdrError(e, 'CATALOG_INVALID'), String(e));
      assert.match(e.message, new RegExp(`^${KEY}: `));
      assert.match(e.message, message);
      return true;
    },
  );
}

describe('pgdr manifest, read back', () => {
  let root: string;
  let n = 0;
  before(async () => {
    root = await fsp.mkdtemp(join(tmpdir(), 'pgdr-manifest-'));
  });
  after(async () => {
    await fsp.rm(root, { recursive: true, force: true });
  });

  it('normalises member names and sums the bytes each tar may write', () => {
    const m = parseManifest(
      manifest([
        {
          key: 'data.tar',
          files: [
            ['./PG_VERSION', 3, '0a0b0c0d'],
            ['base/1/1', 8192, '00000000', 'truncated'],
          ],
        },
      ]),
      KEY,
      'B',
    );
    assert.equal(m.kind, 'present');
    const tar = m.kind === 'present' ? m.tars.get('data.tar') : undefined;
    assert.deepEqual([...(tar?.files.keys() ?? [])], ['PG_VERSION', 'base/1/1']);
    assert.equal(tar?.bytes, 8195);
  });

  it('refuses a manifest of the wrong shape', () => {
    invalid(Buffer.from('{"format": '), /not JSON/);
    invalid(Buffer.from('[]'), /not a pgdr manifest/);
    invalid(manifest([], { backupId: 'C' }), /names backup C, not B/);
    invalid(manifest([], { version: 0 }), /unknown format version 0/);
    invalid(manifest({}), /'tars' is not a list/);
    invalid(manifest([{ key: '../x', files: [] }]), /has no valid 'key'/);
    invalid(
      manifest([
        { key: 'a.tar', files: [] },
        { key: 'a.tar', files: [] },
      ]),
      /listed twice/,
    );
    for (const row of [
      ['x', -1, '00000000'],
      ['x', 1.5, '00000000'],
      ['x', 1, 'zz'],
      ['x', 1, '00000000', 'y'],
      'x',
    ]) {
      invalid(manifest([{ key: 'a.tar', files: [row] }]), /not \[name, size, crc32\]/);
    }
    invalid(manifest([{ key: 'a.tar', files: [['../../etc/passwd', 1, '00000000']] }]), /climbs out/);
    invalid(
      manifest([
        {
          key: 'a.tar',
          files: [
            ['./x', 1, '00000000'],
            ['x', 1, '00000000'],
          ],
        },
      ]),
      /listed twice/,
    );
  });

  it('leaves a newer format unchecked, saying so', () => {
    const m = parseManifest(manifest([], { version: 2 }), KEY, 'B');
    assert.deepEqual(m, { kind: 'skipped', key: KEY, reason: 'format version 2, written by a newer pgdr' });
  });

  async function extractChecked(stored: RawMember[], listed: RawMember[]): Promise<ManifestCheck> {
    const m = parseManifest(manifest([{ key: 'data.tar', files: manifestFiles(listed) }]), KEY, 'B');
    const tar = (m.kind === 'present' ? m.tars.get('data.tar') : undefined) as ManifestTar;
    const check = new ManifestCheck(tar);
    const dest = join(root, `t${n++}`);
    await fsp.mkdir(dest);
    await pipeline(
      Readable.from([tarOf(stored)]),
      new TarExtractor(dest, { onFile: check.onFile, maxBytes: tar.bytes }),
    );
    check.finish();
    return check;
  }

  async function mismatch(stored: RawMember[], message: RegExp): Promise<void> {
    await assert.rejects(extractChecked(stored, dataMembers()), (e) => {
      assert.ok(isPgdrError(e, 'CATALOG_INVALID'), String(e));
      assert.match(e.message, message);
      return true;
    });
  }

  it('passes the files it lists, and names a missing, extra, resized or altered one', async () => {
    assert.equal((await extractChecked(dataMembers(), dataMembers())).files, 5);
    await mismatch(
      dataMembers().filter((m) => m.name !== 'backup_label'),
      /1 file\(s\) of the backup's manifest are missing from the tar: 'backup_label'/,
    );
    await mismatch(
      [...dataMembers(), { name: 'extra', data: '' }],
      /file 'extra' is not in the backup's manifest/,
    );
    // With data, it already breaks the byte budget the manifest sets.
    await mismatch(
      [...dataMembers(), { name: 'extra', data: 'x' }],
      /more than the \d+ bytes expected \(at member 'extra'\)/,
    );
    await mismatch(
      dataMembers().map((m) => (m.name === './PG_VERSION' ? { ...m, data: '15\n\n' } : m)),
      /file 'PG_VERSION' has 4 bytes; the backup's manifest says 3/,
    );
    await mismatch(
      dataMembers().map((m) => (m.name === './PG_VERSION' ? { ...m, data: '16\n' } : m)),
      /file 'PG_VERSION' differs from the backup's manifest \(CRC-32 [0-9a-f]{8}, expected [0-9a-f]{8}\)/,
    );
  });

  it('stops a tar that writes more than its manifest lists (a decompression bomb)', async () => {
    const listed = dataMembers();
    const bomb = [...listed.slice(0, 4), { name: 'base/1/1249', data: Buffer.alloc(1 << 20) }];
    await assert.rejects(extractChecked(bomb, listed), /expands to more than the \d+ bytes expected/);
  });
});
