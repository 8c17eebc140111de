// `pgdr restore --no-start` of backups written byte by byte into a file:// bucket (test/helpers/synthetic-backup.ts):
// a restore that lacks what PostgreSQL needs, differs from the backup's manifest, or extracts a tablespace
// where backup.info's relative location points must end with CATALOG_INVALID (exit 15), never with success.
import assert from 'node:assert/strict';
import { existsSync, promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type CliResult, runPgdr } from '../helpers/cli.js';
import type { RawMember } from '../helpers/hostile-tar.js';
import { tarOf } from '../helpers/hostile-tar.js';
import { BACKUP_ID, dataMembers, SERVER, writeSyntheticBackup } from '../helpers/synthetic-backup.js';

let root: string;
let n = 0;

interface Case {
  readonly dir: string;
  readonly bucket: string;
  readonly cwd: string;
}

/** A bucket holding one synthetic backup, and where to restore it. */
async function backupCase(o: Omit<Parameters<typeof writeSyntheticBackup>[0], 'root'>): Promise<Case> {
  const folder = join(root, `c${n++}`);
  const c = { dir: join(folder, 'restored'), bucket: join(folder, 'bucket'), cwd: join(folder, 'cwd') };
  await fsp.mkdir(c.cwd, { recursive: true });
  await writeSyntheticBackup({ root: c.bucket, ...o });
  return c;
}

async function restoreCase(c: Case, extra: readonly string[] = []): Promise<CliResult> {
  const args = ['--destination-path', `file://${c.bucket}`, '--server-name', SERVER, '--format', 'json'];
  return runPgdr(['restore', c.dir, '--no-start', ...args, ...extra], { cwd: c.cwd });
}

async function restoreOf(
  o: Omit<Parameters<typeof writeSyntheticBackup>[0], 'root'>,
  extra: readonly string[] = [],
): Promise<CliResult & Case> {
  const c = await backupCase(o);
  return { ...(await restoreCase(c, extra)), ...c };
}

function without(name: string): RawMember[] {
  return dataMembers().filter((m) => m.name !== name);
}

function refused(r: CliResult, message: RegExp): void {
  assert.equal(r.code, 15, `exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  assert.match(r.stderr, message);
}

describe('restore of an incomplete or damaged backup', () => {
  before(async () => {
    root = await fsp.mkdtemp(join(tmpdir(), 'pgdr-incomplete-'));
  });
  after(async () => {
    await fsp.rm(root, { recursive: true, force: true });
  });

  it('restores a complete backup, shows what it checked, and leaves no marker', async () => {
    const r = await restoreOf({ data: dataMembers() });
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(r.stdout);
    assert.equal(json.checks.tree.pgVersion, '15');
    assert.equal(json.checks.tree.pgControl, 'crc');
    assert.equal(json.checks.tree.backupLabelWal, '000000010000000000000006');
    assert.deepEqual(json.checks.manifest, { kind: 'absent' });
    assert.equal(json.plan.manifest.kind, 'absent');
    assert.ok(json.synced.files >= 5, JSON.stringify(json.synced));
    assert.deepEqual(json.restarted, []);
    assert.deepEqual(
      (await fsp.readdir(r.dir)).filter((f) => f.startsWith('pgsql_tmp')),
      [],
      'the marker is removed once the restore is complete',
    );
  });

  for (const missing of ['backup_label', './PG_VERSION', 'global/pg_control']) {
    it(`refuses a data tar without ${missing}`, async () => {
      const r = await restoreOf({ data: without(missing) });
      refused(
        r,
        new RegExp(`has no ${missing.replace('./', '')} \\(extracted from synth/base/\\S+/data\\.tar\\)`),
      );
    });
  }

  it('refuses a damaged pg_control, a PG_VERSION of another major and a backup_label of another backup', async () => {
    const members = dataMembers();
    const control = members.find((m) => m.name === 'global/pg_control')!;
    (control.data as Buffer).writeUInt8((control.data as Buffer).readUInt8(100) ^ 1, 100);
    refused(await restoreOf({ data: members }), /global\/pg_control is damaged: its CRC-32C does not match/);
    const v = dataMembers().map((m) => (m.name === './PG_VERSION' ? { ...m, data: '14\n' } : m));
    refused(await restoreOf({ data: v }), /PG_VERSION says '14', but backup.info says PostgreSQL 15/);
    const l = dataMembers().map((m) =>
      m.name === 'backup_label'
        ? { ...m, data: 'START WAL LOCATION: 0/9000028 (file 000000010000000000000009)\n' }
        : m,
    );
    refused(
      await restoreOf({ data: l }),
      /backup_label starts at WAL 000000010000000000000009.*another backup/,
    );
  });

  it('refuses a 0-byte data.tar and one cut at a member boundary, with or without end-of-archive blocks', async () => {
    refused(await restoreOf({ data: Buffer.alloc(0) }), /data\.tar/);
    const whole = tarOf(dataMembers(), { end: false });
    // The members before backup_label, cut exactly at its header.
    const cut = whole.subarray(0, whole.length - 1024);
    refused(await restoreOf({ data: cut }), /data\.tar/);
    const terminated = Buffer.concat([cut, Buffer.alloc(1024)]);
    refused(await restoreOf({ data: terminated, gzip: true }), /has no backup_label .*data\.tar\.gz/);
  });

  it('checks every file against the pgdr manifest: a lost member, a flipped byte, an extra file', async () => {
    const ok = await restoreOf({ data: dataMembers(), manifest: true, gzip: true });
    assert.equal(ok.code, 0, ok.stderr);
    const json = JSON.parse(ok.stdout);
    assert.equal(json.checks.manifest.kind, 'present');
    assert.equal(json.checks.manifest.files, 5);
    assert.equal(json.plan.manifest.files, 5);

    // Each written with the manifest of the whole backup, then its stored tar rewritten.
    const rewritten = async (members: RawMember[]): Promise<CliResult> => {
      const c = await backupCase({ data: dataMembers(), manifest: true });
      await fsp.writeFile(join(c.bucket, SERVER, 'base', BACKUP_ID, 'data.tar'), tarOf(members));
      return restoreCase(c);
    };
    refused(
      await rewritten(without('base/1/1249')),
      /data\.tar: 1 file\(s\) of the backup's manifest are missing from the tar: 'base\/1\/1249'/,
    );
    const members = dataMembers();
    const page = members.find((m) => m.name === 'base/1/1259')!.data as Buffer;
    page.writeUInt8(page.readUInt8(5000) ^ 0x40, 5000);
    refused(await rewritten(members), /data\.tar: file 'base\/1\/1259' differs from the backup's manifest/);
    refused(
      await rewritten([...dataMembers(), { name: 'base/1/99999', data: '' }]),
      /data\.tar: file 'base\/1\/99999' is not in the backup's manifest/,
    );
  });

  it('refuses a backup whose manifest lists a tar the bucket lacks (a lost part)', async () => {
    const c = await backupCase({ data: dataMembers(), manifest: true });
    const path = join(c.bucket, SERVER, 'base', BACKUP_ID, 'pgdr.json');
    const m = JSON.parse(await fsp.readFile(path, 'utf8'));
    m.tars.push({
      key: 'data_0001.tar',
      group: 'data',
      part: 1,
      dataBytes: 3,
      storedBytes: 2048,
      files: [['base/1/2', 3, '00000000']],
    });
    await fsp.writeFile(path, JSON.stringify(m));
    const r = await restoreCase(c);
    refused(r, /data_0001\.tar, listed in its manifest, is missing from the bucket/);
    assert.ok(!existsSync(c.dir), 'refused before anything was written');
  });

  it('refuses a relative tablespace location from backup.info; the plan shows absolute destinations', async () => {
    const ts = { name: 'ts', oid: 16385, members: [{ name: 'PG_15_202209061', type: '5', mode: 0o700 }] };
    const rel = await restoreOf({ data: dataMembers(), tablespaces: [{ ...ts, location: 'rel/ts' }] });
    refused(
      rel,
      /tablespace 'ts' \(oid 16385\) has location 'rel\/ts' in backup.info, which is not an absolute/,
    );
    assert.match(rel.stderr, /hint: give it a folder: --tablespace 'ts:\/absolute\/path'/);
    assert.ok(!existsSync(join(rel.cwd, 'rel')), 'nothing was extracted below the working folder');
    assert.ok(!existsSync(rel.dir), 'nothing was written');

    const mapped = join(root, 'ts-mapped');
    const plan = await restoreCase(rel, ['--plan', '--tablespace', `ts:${mapped}`]);
    assert.equal(plan.code, 0, plan.stderr);
    const json = JSON.parse(plan.stdout);
    assert.deepEqual(json.plan.tablespaces, [
      { name: 'ts', oid: 16385, location: 'rel/ts', dest: mapped, mapped: true },
    ]);
    const inside = await restoreCase(rel, ['--plan', '--tablespace', `ts:${join(rel.dir, 'ts')}`]);
    assert.equal(inside.code, 2, inside.stderr);
    assert.match(inside.stderr, /inside the data folder/);
  });
});
