// An unreadable backup.info (garbage, truncated) is CATALOG_INVALID naming the object, never "no backups":
// backup list lists the readable backups as barman-cloud-backup-list does and names the others; with none
// readable it fails (exit 15); restore fails naming them; status and check report them.
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runPgdr } from '../helpers/cli.js';

const GOOD = '20250101T060000';
const GARBAGE = '20250102T060000';
const TRUNCATED = '20250103T060000';
const key = (server: string, id: string) => `${server}/base/${id}/backup.info`;

describe('unreadable backup.info: named, never "no backups"', () => {
  let dir: string;
  const store = (server: string) => [
    '--destination-path',
    `file://${join(dir, 'repo')}`,
    '--server-name',
    server,
  ];
  const pgdr = (server: string, ...args: string[]) => runPgdr([...args, ...store(server)]);

  before(async () => {
    dir = await fsp.mkdtemp(join(tmpdir(), 'pgdr-unreadable-'));
    const doc = await fsp.readFile(
      new URL('../../../test/fixtures/catalog/doc-example.backup.info', import.meta.url),
    );
    const put = async (k: string, body: Buffer | string) => {
      const p = join(dir, 'repo', k);
      await fsp.mkdir(join(p, '..'), { recursive: true });
      await fsp.writeFile(p, body);
    };
    // "mixed": one readable backup and two damaged ones. "broken": only damaged ones, and WAL.
    await put(key('mixed', GOOD), doc);
    for (const server of ['mixed', 'broken']) {
      await put(key(server, GARBAGE), Buffer.from([0x00, 0xff, 0x13, 0x37, 0x0a]));
      await put(key(server, TRUNCATED), doc.subarray(0, 700));
    }
    await put('broken/wals/0000000100000000/000000010000000000000006', 'w');
    await put('walonly/wals/0000000100000000/000000010000000000000006', 'w');
  });
  after(() => fsp.rm(dir, { recursive: true, force: true }));

  it('backup list: the readable backups, and a warning naming each unreadable object (exit 0)', async () => {
    for (const format of ['table', 'json']) {
      const r = await pgdr('mixed', 'backup', 'list', '--format', format);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(r.stdout.includes(GOOD), r.stdout);
      assert.ok(!r.stdout.includes(GARBAGE) && !r.stdout.includes(TRUNCATED), r.stdout);
      assert.match(
        r.stderr,
        new RegExp(
          `warning: backup ${GARBAGE} left out: mixed/base/${GARBAGE}/backup\\.info cannot be read \\(.*UTF-8`,
        ),
      );
      assert.match(
        r.stderr,
        new RegExp(
          `warning: backup ${TRUNCATED} left out: mixed/base/${TRUNCATED}/backup\\.info cannot be read`,
        ),
      );
      if (format === 'json')
        assert.deepEqual(
          JSON.parse(r.stdout).backups_list.map((b: { backup_id: string }) => b.backup_id),
          [GOOD],
        );
    }
  });

  it('backup list with no readable backup.info: CATALOG_INVALID naming them, never "No backups"', async () => {
    for (const format of ['table', 'json']) {
      const r = await pgdr('broken', 'backup', 'list', '--format', format);
      assert.equal(r.code, 15, r.stderr);
      assert.doesNotMatch(r.stdout + r.stderr, /No backups/);
      assert.ok(
        r.stderr.includes(
          `pgdr: error: no backup.info can be read for server 'broken': 2 backup.info object(s) cannot be read: ${key('broken', GARBAGE)} (`,
        ),
        r.stderr,
      );
      assert.ok(r.stderr.includes(key('broken', TRUNCATED)), r.stderr);
      assert.match(r.stderr, /\nhint: repair or remove those objects/);
    }
    const none = await pgdr('walonly', 'backup', 'list');
    assert.equal(none.code, 0, none.stderr);
    assert.match(none.stdout, /^No backups for walonly/);
  });

  it('restore: CATALOG_INVALID naming the object, when nothing else is restorable or it is the one asked for', async () => {
    const target = join(dir, 'restored');
    const all = await pgdr('broken', 'restore', target, '--plan');
    assert.equal(all.code, 15, all.stderr);
    assert.ok(
      all.stderr.includes(key('broken', GARBAGE)) && all.stderr.includes(key('broken', TRUNCATED)),
      all.stderr,
    );
    assert.doesNotMatch(all.stderr, /take a first backup|pgdr backup create/);
    const asked = await pgdr('mixed', 'restore', target, '--plan', '--backup-id', TRUNCATED);
    assert.equal(asked.code, 15, asked.stderr);
    assert.ok(
      asked.stderr.includes(`pgdr: error: backup ${TRUNCATED}: ${key('mixed', TRUNCATED)} cannot be read: `),
      asked.stderr,
    );
    const walOnly = await pgdr('walonly', 'restore', target, '--plan');
    assert.equal(walOnly.code, 13, 'no backup.info at all is still NO_BACKUPS');
  });

  it('status and check name the unreadable objects', async () => {
    const st = await pgdr('broken', 'status');
    assert.match(st.stdout, /Verdict: fail: no DONE backup can be read \(2 backup\.info unreadable\)/);
    assert.ok(
      st.stdout.includes(`warning: backup ${GARBAGE}: ${key('broken', GARBAGE)} cannot be read`),
      st.stdout,
    );
    const js = JSON.parse((await pgdr('broken', 'status', '--format', 'json')).stdout);
    assert.deepEqual(js.backups.unreadable, [GARBAGE, TRUNCATED]);
    const ck = await pgdr('broken', 'check', '--format', 'json');
    assert.equal(ck.code, 51, ck.stderr);
    const backups = JSON.parse(ck.stdout).checks.find((c: { name: string }) => c.name === 'backups');
    assert.equal(backups.status, 'fail');
    assert.match(backups.finding, /no DONE backup of broken can be read: 2 backup\.info cannot be read/);
    assert.doesNotMatch(backups.hint, /take a backup/);
    const mixed = JSON.parse((await pgdr('mixed', 'check', '--format', 'json')).stdout);
    const warn = mixed.checks.find((c: { name: string }) => c.name === 'backups');
    assert.equal(warn.status, 'warn');
    assert.ok(warn.finding.includes(key('mixed', TRUNCATED)), warn.finding);
  });
});
