// global/pg_control read by its format version (src/postgres/control-file.ts), against files written by initdb
// of PostgreSQL 15 (format 1300, 64 MiB WAL segments) and 17 (1700, with and without data checksums), and what
// each caller makes of it: a restore's check of the restored tree, `wal restore`'s segment size, and (through
// the same reader) backup verify's block size and checksum version.
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { crc32c } from '../../src/compression/crc32c.js';
import { checkPgControl } from '../../src/engine/restore/restored-tree.js';
import { findBinaries } from '../../src/postgres/binaries.js';
import { controlSegmentSize, PG_CONTROL_SIZE, readControlFile } from '../../src/postgres/control-file.js';
import { initdb } from '../../src/postgres/initdb.js';

const CLUSTERS = [
  { name: '15', major: 15, version: 1300, checksums: true, walMb: 64 },
  { name: '17-on', major: 17, version: 1700, checksums: true, walMb: 16 },
  { name: '17-off', major: 17, version: 1700, checksums: false, walMb: 16 },
] as const;

describe('pg_control of PostgreSQL 15 and 17', () => {
  let root: string;
  const controls = new Map<string, Buffer>();
  const dataDir = (name: string) => join(root, name);
  before(async () => {
    root = await fsp.mkdtemp(join(tmpdir(), 'pgdr-pgcontrol-'));
    await fsp.chmod(root, 0o755); // initdb runs as the server user
    for (const c of CLUSTERS) {
      const pgdata = dataDir(c.name);
      const bin = await findBinaries({ major: c.major });
      await initdb({ bin, pgdata, dataChecksums: c.checksums, walSegmentSizeMb: c.walMb, noSync: true });
      controls.set(c.name, await fsp.readFile(join(pgdata, 'global', 'pg_control')));
    }
  });
  after(async () => {
    if (root) await fsp.rm(root, { recursive: true, force: true });
  });
  const control = (name: string) => Buffer.from(controls.get(name)!);

  it('reads the format, system identifier, block and segment sizes and checksum version', () => {
    for (const c of CLUSTERS) {
      const r = readControlFile(control(c.name));
      assert.ok(r.ok, `${c.name}: ${r.ok ? '' : r.problem}`);
      assert.equal(r.control.controlVersion, c.version);
      assert.equal(r.control.blockSize, 8192);
      assert.equal(r.control.segmentBlocks, 131072);
      assert.equal(r.control.walSegmentSize, c.walMb << 20, c.name);
      assert.equal(r.control.dataChecksumVersion, c.checksums ? 1 : 0, c.name);
      assert.match(r.control.systemIdentifier, /^\d{15,20}$/);
      assert.ok(r.control.catalogVersion > 202000000, String(r.control.catalogVersion));
    }
  });

  it('finds a flipped bit anywhere the CRC-32C covers, and a wrong floatFormat under a good CRC', () => {
    for (const c of CLUSTERS) {
      for (const at of [0, 40, 100, 220, 287]) {
        const flipped = control(c.name);
        flipped[at] = flipped[at]! ^ 0x10;
        const r = readControlFile(flipped);
        assert.equal(!r.ok && r.kind, 'damaged', `${c.name} byte ${at}`);
        assert.match(!r.ok ? r.problem : '', /its CRC-32C does not match its contents \(stored [0-9a-f]{8}/);
      }
    }
    const float = control('17-on');
    float.writeDoubleLE(1234567.5, 208);
    float.writeUInt32LE(crc32c(float, 0, 288), 288);
    assert.deepEqual(readControlFile(float), {
      ok: false,
      kind: 'damaged',
      controlVersion: 1700,
      problem: 'its floatFormat check value is wrong',
    });
  });

  it('does not guess at an unknown format, and refuses a file too short for its format', () => {
    const future = control('17-on');
    future.writeUInt32LE(1900, 8);
    const unknown = readControlFile(future);
    assert.equal(!unknown.ok && unknown.kind, 'unknown');
    assert.equal(!unknown.ok && unknown.controlVersion, 1900);
    const short = readControlFile(control('17-on').subarray(0, 100));
    assert.equal(!short.ok && short.kind, 'damaged');
    assert.match(!short.ok ? short.problem : '', /holds 100 bytes, fewer than format 1700 needs/);
    assert.equal(!readControlFile(Buffer.alloc(10)).ok, true);
  });

  it("reads PostgreSQL 18's format 1800: the CRC at byte 292, after default_char_signedness", () => {
    const c18 = control('17-on');
    c18.writeUInt32LE(1800, 8);
    c18.writeUInt8(1, 256);
    c18.writeUInt32LE(crc32c(c18, 0, 292), 292);
    const r = readControlFile(c18);
    assert.ok(r.ok, r.ok ? '' : r.problem);
    assert.equal(r.control.dataChecksumVersion, 1);
    assert.equal(checkPgControl(c18, 18), 'crc');
    // Its CRC where format 1700 keeps it is not enough.
    const at288 = control('17-on');
    at288.writeUInt32LE(1800, 8);
    at288.writeUInt32LE(crc32c(at288, 0, 288), 288);
    const r288 = readControlFile(at288);
    assert.equal(!r288.ok && r288.kind, 'damaged');
  });

  it("a restore's check: the CRC-32C for 13-18, the format of the backup's major, the size for the others", () => {
    assert.equal(checkPgControl(control('15'), 15), 'crc');
    // The same bytes as 16 (format 1300 too) and 18 (1800): format mismatch for 18.
    assert.equal(checkPgControl(control('15'), 16), 'crc');
    assert.equal(checkPgControl(control('17-off'), 17), 'crc');
    const flipped = control('17-on');
    flipped[40] = flipped[40]! ^ 0x10;
    assert.throws(
      () => checkPgControl(flipped, 17),
      /^Error: its CRC-32C does not match .*: PostgreSQL would refuse to start$/,
    );
    assert.throws(() => checkPgControl(control('15').subarray(0, 8191), 15), /it has 8191 bytes, not 8192/);
    assert.throws(
      () => checkPgControl(control('15'), 17),
      /its format is 1300, while PostgreSQL 17 writes 1700/,
    );
    assert.throws(() => checkPgControl(control('15'), 18), /writes 1800/);
    const future = control('17-on');
    future.writeUInt32LE(1900, 8);
    assert.throws(() => checkPgControl(future, 17), /its format is 1900, while PostgreSQL 17 writes 1700/);
    assert.equal(checkPgControl(control('15'), 906), 'size');
    assert.equal(checkPgControl(control('15'), 19), 'size');
    assert.equal(control('15').length, PG_CONTROL_SIZE);
  });

  it("wal restore's segment size: from a sound pg_control of a known format, else none", async () => {
    assert.equal(await controlSegmentSize(dataDir('15')), 64 << 20);
    assert.equal(await controlSegmentSize(dataDir('17-on')), 16 << 20);
    const other = async (bytes: Buffer | null) => {
      const dir = await fsp.mkdtemp(join(root, 'dir-'));
      await fsp.mkdir(join(dir, 'global'));
      if (bytes) await fsp.writeFile(join(dir, 'global', 'pg_control'), bytes);
      return controlSegmentSize(dir);
    };
    const flipped = control('15');
    flipped[100] = flipped[100]! ^ 1;
    assert.equal(await other(flipped), undefined, 'a pg_control whose CRC fails is not used');
    const future = control('15');
    future.writeUInt32LE(1900, 8);
    assert.equal(await other(future), undefined, 'nor one of a format pgdr does not know');
    assert.equal(await other(null), undefined, 'nor a missing one');
  });
});
