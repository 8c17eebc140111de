// `pgdr failback run --option original --delta` on PostgreSQL 17: primary -> archive -> standby -> promote
// (timeline 2, serverName prim-tl2) -> rows written on the promoted one -> the old primary stopped -> failback
// with --target-dir = the old primary's own data directory, updated in place (restore --delta): a cluster on
// timeline 3 in that folder, with every row, archiving and backed up under `prim` again, most of its files
// kept as they were (the result's `delta`).
// And --delta onto another system's data directory is refused, changing nothing.
// PostgreSQL start-ups: primary, standby, the restored cluster (twice: restore, then archiving); the other
// system is only initdb'd.
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { initdb } from '../../src/postgres/initdb.js';
import type { ObjectStore } from '../../src/storage/object-store.js';
import { openStore } from '../../src/storage/open-store.js';
import {
  assertTimeline3Added,
  countRows,
  type FailbackScenario,
  failbackScenario,
} from '../helpers/failback-scenario.js';
import { q } from '../helpers/poll.js';
import { testBinaries } from '../helpers/postgres.js';
import { type DeltaJson, stopPgCtl } from '../helpers/restore-run.js';
import { treeHash } from '../helpers/tree-hash.js';

const BUCKET = 'pgdrfbdelta';
const SERVER = 'prim';

describe('pgdr failback run --option original --delta (PostgreSQL 17, s3rver)', () => {
  let sc: FailbackScenario;
  let store: ObjectStore;
  let oldPgdata: string;

  const pgdr = (args: string[]) => sc.pgdr(args, sc.full);
  const keys = async (prefix: string) => (await store.list(prefix)).objects.map((o) => o.key).sort();
  const snapshot = async (prefix: string) => {
    const out = new Map<string, string>();
    for (const k of await keys(prefix)) out.set(k, (await store.getBuffer(k)).toString('base64'));
    return out;
  };
  const failback = (dir: string) =>
    pgdr([
      'failback',
      'run',
      '--option',
      'original',
      '--target-dir',
      dir,
      '--delta',
      '--yes',
      '--format',
      'json',
    ]);

  before(async () => {
    sc = await failbackScenario({ bucket: BUCKET, serverName: SERVER, upTo: 250 });
    store = await openStore(
      loadConfig({ overrides: { configFile: sc.cfg }, env: sc.env, cwd: sc.root }).objectStore,
    );
    oldPgdata = sc.primary.pgdata;
    const p = await pgdr(['replica', 'promote', sc.standby.pgdata, '--yes', '--format', 'json']);
    assert.equal(p.code, 0, p.stderr);
    assert.equal(JSON.parse(p.stdout).timeline, 2);
    await q(sc.standby.connectionString, 'INSERT INTO t SELECT generate_series(1000, 1099)');
    // The region is lost: the old primary is stopped, its data directory left as it was.
    await sc.primary.stop();
  });
  after(async () => {
    // The failed-back cluster runs in the old primary's folder, which the scenario's cleanup removes.
    if (sc !== undefined && oldPgdata !== undefined)
      await stopPgCtl(sc.standby.pgCtl, oldPgdata).catch(() => undefined);
    await store?.close();
    await sc?.cleanup();
  });

  it("refuses another system's data directory (23), changing neither it nor the bucket", async () => {
    const other = join(sc.root, 'other-system');
    await initdb({ bin: await testBinaries(17), pgdata: other, noSync: true });
    const hash = await treeHash(other);
    const bucket = await keys('');
    const r = await failback(other);
    assert.equal(r.code, 23, r.stderr);
    assert.match(r.stderr, /belongs to another system/);
    assert.equal(JSON.parse(r.stdout).error.details.reason, 'system-identifier');
    assert.equal(await treeHash(other), hash, 'the folder is untouched');
    assert.deepEqual(await keys(''), bucket, 'nothing written to the bucket');
    await fsp.rm(other, { recursive: true });
  });

  it("updates the old primary's data directory in place: timeline 3, every row, archiving under prim", async () => {
    const want = await countRows(sc.standby.connectionString);
    assert.equal(want, 350);
    const oldWal = await snapshot(`${SERVER}/wals/`);
    const oldBackups = await keys(`${SERVER}/base/`);

    const r = await failback(oldPgdata);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.serverName, SERVER);
    assert.equal(out.recoveredServerName, `${SERVER}-tl2`);
    assert.equal(out.timeline, 3);
    assert.equal(out.pgdata, oldPgdata);
    assert.deepEqual(
      out.steps.map((s: { step: string }) => s.step),
      ['backup', 'restore', 'archive', 'base-backup', 'verify'],
    );
    assert.deepEqual(out.rows.differing, []);

    // The delta: most files kept as the old primary had them, far fewer bytes written than the backup holds.
    const d = out.delta as DeltaJson;
    const tars = (await store.list(`${SERVER}-tl2/base/${out.sourceBackupId}/`)).objects.filter((o) =>
      /\.tar(\.gz)?$/.test(o.key),
    );
    const tarBytes = tars.reduce((n, o) => n + o.size, 0);
    console.log(
      `delta: ${JSON.stringify(d)}; backup ${out.sourceBackupId}: ${tars.length} tar(s), ${tarBytes} bytes`,
    );
    assert.equal(d.fetchedTars + d.skippedTars, tars.length, JSON.stringify(d));
    assert.ok(d.keptFiles > d.fetchedFiles, JSON.stringify(d));
    assert.ok(d.bytesWritten < tarBytes / 2, `${d.bytesWritten} written < ${tarBytes} (compressed tars) / 2`);

    // The cluster in the old folder: every row, read-write, on timeline 3.
    assert.equal(await countRows(out.connectionString), want);
    const [row] = await q<{ r: boolean; d: string; w: string }>(
      out.connectionString,
      `SELECT pg_is_in_recovery() AS r, current_setting('data_directory') AS d,
              pg_walfile_name(pg_current_wal_lsn()) AS w`,
    );
    assert.equal(row!.r, false);
    assert.equal(row!.d, oldPgdata);
    assert.ok(row!.w.startsWith('00000003'), row!.w);

    // Archiving and backed up under prim again: timeline 3 added, the old primary's WAL byte for byte.
    assertTimeline3Added(oldWal, await snapshot(`${SERVER}/wals/`));
    const backups = await keys(`${SERVER}/base/`);
    assert.ok(
      backups.some((k) => k.includes(`/${out.backupId}/backup.info`)),
      backups.join('\n'),
    );
    for (const k of oldBackups) assert.ok(backups.includes(k), k);
  });
});
