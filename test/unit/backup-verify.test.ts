// The parts of `pgdr backup verify` that need no bucket, against real PostgreSQL files: the page checksum of
// every page initdb of PostgreSQL 15 and 17 wrote (--data-checksums), the page scanner fed in odd-sized pieces,
// a tar's members against the manifest, relation-file names and the verify record. pg_control and the manifest
// parser have their own tests (pg-control, backup-manifest).
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import { parseBackupManifest } from '../../src/catalog/backup-manifest.js';
import { pageChecksum, storedChecksum } from '../../src/engine/verify-backup/page-checksum.js';
import { PageChecks } from '../../src/engine/verify-backup/page-scan.js';
import { relationFile } from '../../src/engine/verify-backup/relation-file.js';
import { TarVerifier } from '../../src/engine/verify-backup/tar-verifier.js';
import type { BackupVerifyReport } from '../../src/engine/verify-backup/types.js';
import { parseVerifyRecord, recordOf } from '../../src/engine/verify-backup/verify-record.js';
import { findBinaries } from '../../src/postgres/binaries.js';
import { initdb } from '../../src/postgres/initdb.js';
import { TarReader } from '../../src/tar/reader.js';
import { tarOf } from '../helpers/hostile-tar.js';

const PAGE = 8192;

describe('backup verify: page checksums of real clusters', () => {
  let root: string;
  const clusters = new Map<string, string>();

  before(async () => {
    root = await fsp.mkdtemp(join(tmpdir(), 'pgdr-bv-'));
    await fsp.chmod(root, 0o755);
    for (const [major, checksums] of [
      [15, true],
      [17, true],
    ] as const) {
      const name = `${major}-${checksums ? 'on' : 'off'}`;
      const pgdata = join(root, name);
      await initdb({ bin: await findBinaries({ major }), pgdata, dataChecksums: checksums, noSync: true });
      clusters.set(name, pgdata);
    }
  });
  after(async () => {
    if (root) await fsp.rm(root, { recursive: true, force: true });
  });

  it('computes the checksum PostgreSQL stored on every page initdb wrote (15 and 17)', async () => {
    for (const name of ['15-on', '17-on']) {
      let pages = 0;
      for (const f of await relationFiles(clusters.get(name)!)) {
        const data = await fsp.readFile(f);
        for (let b = 0; (b + 1) * PAGE <= data.length; b++) {
          const page = data.subarray(b * PAGE, (b + 1) * PAGE);
          assert.equal(pageChecksum(page, b), storedChecksum(page), `${f} block ${b}`);
          pages++;
        }
      }
      assert.ok(pages > 500, `${name}: ${pages} pages`);
    }
  });

  it('changes with any flipped byte and with the block number, not with pd_checksum itself', async () => {
    const [file] = await relationFiles(clusters.get('17-on')!);
    const page = Buffer.from((await fsp.readFile(file!)).subarray(0, PAGE));
    const good = storedChecksum(page);
    for (const at of [0, 7, 24, 100, 4000, PAGE - 1]) {
      const bad = Buffer.from(page);
      bad[at] = (bad[at] ?? 0) ^ 0x10;
      assert.notEqual(pageChecksum(bad, 0), good, `byte ${at}`);
    }
    assert.notEqual(pageChecksum(page, 1), good);
    const other = Buffer.from(page);
    other.writeUInt16LE(good ^ 0xffff, 8);
    assert.equal(pageChecksum(other, 0), good);
  });

  it('scans a relation file streamed in odd pieces: pages checked, bad block named, tail warned', async () => {
    const files = await relationFiles(clusters.get('17-on')!);
    const sizes = await Promise.all(files.map(async (f) => (await fsp.stat(f)).size));
    const file = files[sizes.indexOf(Math.max(...sizes))]!;
    const data = await fsp.readFile(file);
    const blocks = data.length / PAGE;
    assert.ok(blocks >= 3, `${file}: ${blocks} blocks`);
    const feed = async (bytes: Buffer, segment: number, start = { hi: 0xffffffff, lo: 0xffffffff }) => {
      const checks = new PageChecks(start);
      const sink = checks.scanner('k', 'base/1/1259', segment);
      for (let at = 0; at < bytes.length; at += 1000) await sink.write(bytes.subarray(at, at + 1000));
      await sink.end(0);
      return checks;
    };
    const clean = await feed(data, 0);
    assert.equal(clean.checked + clean.skippedNew, blocks);
    assert.equal(clean.failures.count, 0);
    const bad = Buffer.from(data);
    bad[2 * PAGE + 3000] = (bad[2 * PAGE + 3000] ?? 0) ^ 1;
    const flipped = await feed(Buffer.concat([bad, Buffer.alloc(100, 7)]), 0);
    assert.equal(flipped.failures.count, 1);
    assert.equal(flipped.failures.listed[0]?.block, 2);
    assert.match(
      flipped.failures.listed[0]!.message,
      /^base\/1\/1259 block 2: checksum 0x[0-9a-f]{4} stored/,
    );
    assert.equal(flipped.partialTails.count, 1);
    // As the second 1 GiB segment, the same pages sit at other block numbers: every checked one fails.
    const moved = await feed(data, 1);
    assert.equal(moved.failures.count, moved.checked);
    assert.equal(moved.failures.listed[0]?.block, 131072);
    // Pages at or after the backup's start LSN are skipped, never failed.
    const changed = await feed(bad, 0, { hi: 0, lo: 0 });
    assert.equal(changed.checked, 0);
    assert.equal(changed.failures.count, 0);
    assert.equal(changed.skippedChanged + changed.skippedNew, blocks);
  });

  it('checks each member against the manifest and skips the pages of files it marks truncated', async () => {
    const files = [];
    for (const f of await relationFiles(clusters.get('17-on')!)) {
      if ((await fsp.stat(f)).size >= 2 * PAGE) files.push(f);
    }
    const good = await fsp.readFile(files[0]!);
    const torn = Buffer.from(await fsp.readFile(files[1]!));
    torn[PAGE + 100] = (torn[PAGE + 100] ?? 0) ^ 1;
    const crc = (b: Buffer) => (crc32(b) >>> 0).toString(16).padStart(8, '0');
    const tar = tarOf([
      { name: './PG_VERSION', data: '17\n' },
      { name: 'base/1/1259', data: good },
      { name: 'base/1/1249', data: torn },
      { name: 'base/1/extra', data: 'x' },
    ]);
    const entries: [string, number, string, string?][] = [
      ['./PG_VERSION', 2, crc(Buffer.from('17\n'))],
      ['base/1/1259', good.length, crc(good)],
      ['base/1/1249', torn.length, crc(torn), 'truncated'],
      ['base/1/gone', 1, '00000000'],
    ];
    const m = parseBackupManifest(
      Buffer.from(
        JSON.stringify({
          format: 'pgdr-backup-manifest',
          version: 1,
          backupId: '20250101T000000',
          tars: [{ key: 'data.tar', storedBytes: tar.length, files: entries }],
        }),
      ),
      'k/pgdr.json',
      '20250101T000000',
    );
    assert.ok(m.kind === 'present');
    const pages = new PageChecks({ hi: 0xffffffff, lo: 0xffffffff });
    const v = new TarVerifier({
      key: 'k/data.tar',
      tablespace: false,
      manifest: m.tars.get('data.tar')!,
      pages,
    });
    await pipeline(Readable.from([tar]), new TarReader(v));
    assert.deepEqual(
      v.failures.listed.map((f) => f.message),
      [
        './PG_VERSION is 3 bytes, the manifest says 2',
        'base/1/extra is in the tar but not in the manifest',
        'base/1/gone is in the manifest but missing from the tar',
      ],
    );
    assert.equal(pages.failures.count, 0, 'the truncated file is not page-checked');
    assert.equal(pages.checked + pages.skippedNew, good.length / PAGE);
    assert.equal(v.truncatedRelationFiles(), 1);
    assert.equal(v.relationFiles, 2);
  });
});

describe('backup verify: names, record', () => {
  it('knows relation files in the data tar and in tablespace tars', () => {
    const cases: [string, boolean, number | undefined][] = [
      ['base/5/16384', false, 0],
      ['./base/5/16384.3', false, 3],
      ['base/5/16384_fsm', false, 0],
      ['base/5/16384_vm.1', false, 1],
      ['base/5/16384_init', false, 0],
      ['global/1262', false, 0],
      ['global/pg_control', false, undefined],
      ['base/5/pg_filenode.map', false, undefined],
      ['base/5/t3_16384', false, undefined],
      ['PG_VERSION', false, undefined],
      ['pg_xact/0000', false, undefined],
      ['PG_17_202406281/5/16390', true, 0],
      ['PG_17_202406281/5/16390.2', true, 2],
      ['PG_17_202406281/5/16390', false, undefined],
      ['base/5/16384', true, undefined],
    ];
    for (const [name, ts, segment] of cases) {
      assert.equal(relationFile(name, ts)?.segment, segment, `${name} (tablespace: ${ts})`);
    }
  });

  it('writes verify records that read back, and rejects records of the wrong shape', () => {
    const report = {
      backupId: '20250101T000000',
      result: 'fail',
      partial: true,
      startedAt: '2025-01-02T00:00:00.000Z',
      finishedAt: '2025-01-02T00:01:00.000Z',
      files: 10,
      bytes: 1000,
      pages: { checked: 5 },
      failureCount: 1,
      failures: [{ message: 'base/1/1 block 0: checksum' }],
      notes: ['data checksums are off: pages not checked'],
    } as unknown as BackupVerifyReport;
    const rec = recordOf(report);
    const body = Buffer.from(JSON.stringify(rec));
    assert.deepEqual(parseVerifyRecord(body, '20250101T000000'), rec);
    assert.equal(parseVerifyRecord(body, '20250101T000001'), null, 'named for another backup');
    for (const change of [
      { result: 'ok' },
      { partial: 'no' },
      { verifiedAt: 'yesterday' },
      { files: -1 },
      { failures: 'x' },
      { version: 2 },
    ]) {
      const b = Buffer.from(JSON.stringify({ ...rec, ...change }));
      assert.equal(parseVerifyRecord(b, '20250101T000000'), null, JSON.stringify(change));
    }
    assert.equal(parseVerifyRecord(Buffer.from('[1]'), '20250101T000000'), null);
    assert.equal(parseVerifyRecord(Buffer.from('{'), '20250101T000000'), null);
  });
});

/** Every relation file of the cluster (base/<db>/<n> and global/<n>, any fork). */
async function relationFiles(pgdata: string): Promise<string[]> {
  const out: string[] = [];
  const dirs = [join(pgdata, 'global')];
  for (const db of await fsp.readdir(join(pgdata, 'base'))) dirs.push(join(pgdata, 'base', db));
  for (const d of dirs) {
    for (const f of (await fsp.readdir(d)).sort()) {
      if (/^\d+(_(fsm|vm|init))?$/.test(f)) out.push(join(d, f));
    }
  }
  return out;
}
