// Every file a restore extracts checked against the backup's pgdr manifest while a real TarExtractor writes the
// tar (the manifest's own shape is tested in backup-manifest.test.ts).
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import { parseBackupManifest } from '../../src/catalog/backup-manifest.js';
import { ManifestCheck } from '../../src/engine/restore/manifest-check.js';
import { TarExtractor } from '../../src/engine/restore/tar-extract.js';
import { isPgdrError } from '../../src/errors.js';
import { type RawMember, tarOf } from '../helpers/hostile-tar.js';
import { dataMembers, manifestFiles } from '../helpers/synthetic-backup.js';

const KEY = 'pg/base/B/pgdr.json';

describe('restore: extracted files against the pgdr manifest', () => {
  let root: string;
  let n = 0;
  before(async () => {
    root = await fsp.mkdtemp(join(tmpdir(), 'pgdr-manifest-'));
  });
  after(async () => {
    await fsp.rm(root, { recursive: true, force: true });
  });

  async function extractChecked(stored: RawMember[], listed: RawMember[]): Promise<ManifestCheck> {
    const body = {
      format: 'pgdr-backup-manifest',
      version: 1,
      backupId: 'B',
      tars: [{ key: 'data.tar', storedBytes: 0, files: manifestFiles(listed) }],
    };
    const m = parseBackupManifest(Buffer.from(JSON.stringify(body)), KEY, 'B');
    assert.ok(m.kind === 'present');
    const tar = m.tars.get('data.tar')!;
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
