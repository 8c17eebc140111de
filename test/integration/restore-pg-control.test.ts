// The pg_control check of a restore against files written by initdb of PostgreSQL 15 and 17 (the layouts pgdr
// knows: format 1300 for 13-16, 1700 for 17), and the ways a damaged one is told apart.
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkPgControl } from '../../src/engine/restore/pg-control.js';
import { findBinaries } from '../../src/postgres/binaries.js';
import { chownToServerUser, resolveServerUser } from '../../src/postgres/os-user.js';
import { initdb } from '../../src/postgres/server.js';

describe('pg_control of a restored tree', () => {
  let root: string;
  const controls = new Map<number, Buffer>();
  before(async () => {
    root = await fsp.mkdtemp(join(tmpdir(), 'pgdr-pgcontrol-'));
    await chownToServerUser(root, await resolveServerUser());
    for (const major of [15, 17] as const) {
      const pgdata = join(root, String(major));
      await initdb({ bin: await findBinaries({ major }), pgdata, noSync: true });
      controls.set(major, await fsp.readFile(join(pgdata, 'global', 'pg_control')));
    }
  });
  after(async () => {
    await fsp.rm(root, { recursive: true, force: true });
  });

  for (const major of [15, 17]) {
    it(`checks the CRC-32C of PostgreSQL ${major}'s pg_control, and finds a flipped bit`, () => {
      const control = Buffer.from(controls.get(major)!);
      assert.equal(checkPgControl(control, major), 'crc');
      control.writeUInt8(control.readUInt8(40) ^ 0x10, 40);
      assert.throws(() => checkPgControl(control, major), /its CRC-32C does not match/);
    });
  }

  it('refuses a file of the wrong size or of another major, and checks only the size of unknown majors', () => {
    const c15 = controls.get(15)!;
    assert.throws(() => checkPgControl(c15.subarray(0, 8191), 15), /it has 8191 bytes, not 8192/);
    assert.throws(() => checkPgControl(c15, 17), /its format is 1300, while PostgreSQL 17 writes 1700/);
    assert.equal(checkPgControl(c15, 906), 'size');
    assert.equal(checkPgControl(c15, 19), 'size');
    // The same bytes as 16 (format 1300 too) and 18 (1800, crc at byte 292): format mismatch for 18.
    assert.equal(checkPgControl(c15, 16), 'crc');
    assert.throws(() => checkPgControl(c15, 18), /writes 1800/);
  });
});
