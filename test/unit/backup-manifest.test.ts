// The pgdr manifest (base/<id>/pgdr.json) as restore and backup verify read it back: every field's shape
// checked (it comes from the bucket), the object named in every refusal, bounded before it is read, and a
// newer format skipped rather than trusted or failed.
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  MAX_MANIFEST_BYTES,
  parseBackupManifest,
  readBackupManifest,
} from '../../src/catalog/backup-manifest.js';
import { isPgdrError } from '../../src/errors.js';
import { FsObjectStore } from '../../src/storage/fs/fs-store.js';

const ID = '20250101T000000';
const KEY = `pg/base/${ID}/pgdr.json`;

function manifest(
  o: Record<string, unknown> = {},
  files: unknown = [['base/1/1259', 8192, '0a1b2c3d']],
): Buffer {
  return Buffer.from(
    JSON.stringify({
      format: 'pgdr-backup-manifest',
      version: 1,
      backupId: ID,
      compression: 'gzip',
      tars: [{ key: 'data.tar.gz', group: 'data', part: 0, storedBytes: 100, files }],
      ...o,
    }),
  );
}

describe('pgdr manifest, read back', () => {
  it("reads every tar and file: names without their './', sizes, CRC-32s, the truncated flag, bytes written", () => {
    const m = parseBackupManifest(
      manifest({}, [
        ['./PG_VERSION', 3, '0a0b0c0d'],
        ['base/1/1259', 8192, '0a1b2c3d'],
        ['base/1/1260', 0, '00000000', 'truncated'],
      ]),
      KEY,
      ID,
    );
    assert.ok(m.kind === 'present');
    assert.equal(m.key, KEY);
    const tar = m.tars.get('data.tar.gz')!;
    assert.equal(tar.storedBytes, 100);
    assert.deepEqual([...tar.files.keys()], ['PG_VERSION', 'base/1/1259', 'base/1/1260']);
    assert.deepEqual(tar.files.get('base/1/1259'), { size: 8192, crc32: '0a1b2c3d', truncated: false });
    assert.equal(tar.files.get('base/1/1260')?.truncated, true);
    assert.equal(tar.bytes, 8195);
  });

  it('reads the mtime of each file where the manifest records them', () => {
    const files = [
      ['a', 1, '00000000'],
      ['b', 2, '00000000'],
    ];
    const m = parseBackupManifest(
      manifest({ tars: [{ key: 'data.tar', storedBytes: 1, files, mtimes: [1764000000, 0] }] }),
      KEY,
      ID,
    );
    assert.ok(m.kind === 'present');
    const tar = m.tars.get('data.tar')!;
    assert.equal(tar.files.get('a')?.mtime, 1764000000);
    assert.equal(tar.files.get('b')?.mtime, 0);
    const old = parseBackupManifest(manifest({}, files), KEY, ID);
    assert.ok(old.kind === 'present');
    assert.equal(old.tars.get('data.tar.gz')!.files.get('a')?.mtime, undefined);
  });

  it('refuses a manifest of the wrong shape, naming the object', () => {
    const tar = (t: Record<string, unknown>) => manifest({ tars: [{ key: 'a.tar', storedBytes: 1, ...t }] });
    const cases: [Buffer, RegExp][] = [
      [Buffer.from('{"format": '), /it is not JSON/],
      [Buffer.from('[]'), /the document is not an object/],
      [manifest({ format: 'x' }), /it is not a pgdr backup manifest/],
      [manifest({ version: 0 }), /unknown format version 0/],
      [manifest({ version: '1' }), /unknown format version 1/],
      [manifest({ backupId: '20990101T000000' }), /it names backup 20990101T000000, not 20250101T000000/],
      [manifest({ tars: {} }), /'tars' is not a list/],
      [manifest({ tars: ['a.tar'] }), /tars\[0\] is not an object/],
      [tar({ key: '../x', files: [] }), /tars\[0\]\.key is not an object name/],
      [tar({ key: '.hidden', files: [] }), /tars\[0\]\.key is not an object name/],
      [tar({ key: 'a.tar', storedBytes: 'big', files: [] }), /tar a\.tar: storedBytes is not a non-negative/],
      [manifest({ tars: [{ key: 'a.tar', files: [] }] }), /tar a\.tar: storedBytes is not a non-negative/],
      [tar({ files: {} }), /tar a\.tar: 'files' is not a list/],
      [tar({ files: [['x', 1, '00000000']], mtimes: [] }), /tar a\.tar: 'mtimes' is not a list of one time/],
      [tar({ files: [['x', 1, '00000000']], mtimes: [-1] }), /'mtimes' is not a list of one time/],
      [tar({ files: [['x', 1, '00000000']], mtimes: ['1'] }), /'mtimes' is not a list of one time/],
      [tar({ files: [['x', 1, '00000000']], mtimes: {} }), /'mtimes' is not a list of one time/],
      [
        manifest({
          tars: [
            { key: 'a.tar', storedBytes: 1, files: [] },
            { key: 'a.tar', storedBytes: 1, files: [] },
          ],
        }),
        /tar a\.tar is listed twice/,
      ],
      [manifest({}, ['x']), /files\[0\] is not \[name, size, crc32\(, 'truncated'\)\]/],
      [manifest({}, [['x', 1]]), /files\[0\] is not \[name, size, crc32/],
      [manifest({}, [['x', -1, '00000000']]), /files\[0\] has a size that is not a non-negative integer/],
      [manifest({}, [['x', 1.5, '00000000']]), /has a size that is not a non-negative integer/],
      [manifest({}, [['x', 1, 'zz']]), /files\[0\] has a CRC-32 that is not 8 hex digits/],
      [manifest({}, [['x', 1, '0A1B2C3D']]), /has a CRC-32 that is not 8 hex digits/],
      [manifest({}, [['x', 1, '00000000', 'odd']]), /files\[0\] has an unknown flag/],
      [
        manifest({}, [
          ['a', 1, '00000000'],
          ['a', 1, '00000000'],
        ]),
        /files\[1\]: file 'a' is listed twice/,
      ],
      [
        manifest({}, [
          ['./x', 1, '00000000'],
          ['x', 1, '00000000'],
        ]),
        /files\[1\]: file 'x' is listed twice/,
      ],
    ];
    for (const name of [
      '../../etc/passwd',
      '/etc/passwd',
      '',
      '.',
      'a//b',
      'a/./b',
      `${'n'.repeat(256)}/x`,
      7,
    ]) {
      cases.push([
        manifest({}, [[name, 1, '00000000']]),
        /files\[0\] has no relative file name without '\.\.'/,
      ]);
    }
    for (const [body, message] of cases) {
      assert.throws(
        () => parseBackupManifest(body, KEY, ID),
        (e) => {
          assert.ok(isPgdrError(e, 'CATALOG_INVALID'), String(e));
          assert.ok(e.message.startsWith(`${KEY}: `), e.message);
          assert.match(e.message, message);
          assert.deepEqual(e.details, { key: KEY });
          return true;
        },
        body.toString().slice(0, 120),
      );
    }
  });

  it('leaves a newer format unchecked, saying so', () => {
    assert.deepEqual(parseBackupManifest(manifest({ version: 2, tars: 'new' }), KEY, ID), {
      kind: 'skipped',
      key: KEY,
      reason: 'format version 2, written by a newer pgdr',
    });
  });
});

describe('pgdr manifest, from the bucket', () => {
  let root: string;
  let store: FsObjectStore;
  before(async () => {
    root = await fsp.mkdtemp(join(tmpdir(), 'pgdr-manifest-'));
    store = new FsObjectStore(root);
  });
  after(async () => {
    await store?.close();
    if (root) await fsp.rm(root, { recursive: true, force: true });
  });

  it('reads the listed manifest, is absent without one, and skips one listed above the limit unread', async () => {
    const prefix = `pg/base/${ID}/`;
    const read = async (listed: { key: string; size: number }[]) =>
      readBackupManifest({
        store,
        prefix,
        backupId: ID,
        listed: listed.map((x) => ({ ...x, lastModified: new Date(0) })),
      });
    assert.deepEqual(await read([{ key: `${prefix}data.tar`, size: 1 }]), { kind: 'absent' });
    await store.put(KEY, manifest());
    const { objects } = await store.list(prefix);
    const present = await readBackupManifest({ store, prefix, backupId: ID, listed: objects });
    assert.equal(present.kind === 'present' && present.tars.get('data.tar.gz')?.bytes, 8192);
    // Not read at all: the object itself is small, so reading it would have found it present.
    assert.deepEqual(await read([{ key: KEY, size: MAX_MANIFEST_BYTES + 1 }]), {
      kind: 'skipped',
      key: KEY,
      reason: `${MAX_MANIFEST_BYTES + 1} bytes, above the ${MAX_MANIFEST_BYTES} read`,
    });
    await store.put(KEY, Buffer.from('{'));
    await assert.rejects(
      read([{ key: KEY, size: 1 }]),
      (e) => isPgdrError(e, 'CATALOG_INVALID') && e.message.startsWith(`${KEY}: it is not JSON`),
    );
  });
});
