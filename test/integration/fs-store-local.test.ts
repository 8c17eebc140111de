// The file:// store on the local side: a folder it creates is fsynced into its parent (so it survives a crash),
// and a path it may not read or write is PERMISSION_DENIED naming that path, not a bug (INTERNAL) or a
// credentials problem. The permission cases run as the PostgreSQL OS user (root ignores permission bits), the
// way archive_command does.
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { resolveServerUser, runAsServerUser, type ServerUser } from '../../src/postgres/os-user.js';
import { FsObjectStore } from '../../src/storage/fs/fs-store.js';
import { PGDR_BIN } from '../helpers/cli.js';
import { callsAsServerUser } from '../helpers/server-user-calls.js';

const FS_STORE = fileURLToPath(new URL('../../src/storage/fs/fs-store.js', import.meta.url));

let root: string;
let user: ServerUser | null;
before(async () => {
  root = await fs.mkdtemp(join(tmpdir(), 'pgdr-fs-local-'));
  await fs.chmod(root, 0o755);
  user = await resolveServerUser();
});
after(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

/** The folders fsynced (opened and sync()ed) while fn runs: the real calls, observed. */
async function syncedDirs(fn: () => Promise<void>): Promise<string[]> {
  const synced: string[] = [];
  const open = fs.open;
  fs.open = (async (path: string, ...rest: unknown[]) => {
    const fh: FileHandle = await (open as (...a: unknown[]) => Promise<FileHandle>)(path, ...rest);
    const sync = fh.sync.bind(fh);
    fh.sync = async () => {
      if ((await fh.stat()).isDirectory()) synced.push(path);
      return sync();
    };
    return fh;
  }) as typeof fs.open;
  try {
    await fn();
  } finally {
    fs.open = open;
  }
  return synced;
}

describe('file:// store durability', () => {
  it('fsyncs the parent of every folder a put creates, and the object’s folder', async () => {
    const dir = join(root, 'durable');
    await fs.mkdir(dir);
    const store = new FsObjectStore(dir);
    const first = await syncedDirs(() => store.put('srv/wals/0000000100000000/seg', Buffer.from('x')));
    assert.deepEqual(first, [
      dir,
      join(dir, 'srv'),
      join(dir, 'srv/wals'),
      join(dir, 'srv/wals/0000000100000000'),
    ]);
    // Nothing new to make durable above an existing folder.
    const second = await syncedDirs(() => store.put('srv/wals/0000000100000000/seg2', Buffer.from('y')));
    assert.deepEqual(second, [join(dir, 'srv/wals/0000000100000000')]);
  });
});

describe('file:// store permission errors (run as the PostgreSQL OS user)', () => {
  it('each operation on a path it may not use is PERMISSION_DENIED naming the path', async () => {
    const repo = join(root, 'perm');
    await fs.mkdir(join(repo, 'locked'), { recursive: true });
    await fs.writeFile(join(repo, 'locked', 'key'), 'k');
    await fs.mkdir(join(repo, 'secret'));
    await fs.writeFile(join(repo, 'secret', 'key'), 's', { mode: 0o000 });
    await fs.mkdir(join(repo, 'hidden'));
    await fs.writeFile(join(repo, 'hidden', 'key'), 'h');
    await fs.chmod(repo, 0o755);
    await fs.chmod(join(repo, 'locked'), 0o555);
    await fs.chmod(join(repo, 'secret'), 0o755);
    await fs.chmod(join(repo, 'secret', 'key'), 0o000);
    await fs.chmod(join(repo, 'hidden'), 0o000);
    const out = (await callsAsServerUser(
      user,
      `const { FsObjectStore } = await import(${JSON.stringify(FS_STORE)});
      const store = new FsObjectStore(${JSON.stringify(repo)});`,
      `
        put: () => store.put('locked/new/key', Buffer.from('x')),
        putHere: () => store.put('locked/key2', Buffer.from('x')),
        get: async () => (await store.get('secret/key')).resume(),
        getBuffer: () => store.getBuffer('secret/key'),
        list: () => store.list('hidden/'),
        delete: () => store.delete(['locked/key']),`,
    )) as Record<string, { code: string; message: string }>;
    const expect: Record<string, [string, string]> = {
      put: ['write', join(repo, 'locked', 'new')],
      putHere: ['write', join(repo, 'locked')],
      get: ['read', join(repo, 'secret', 'key')],
      getBuffer: ['read', join(repo, 'secret', 'key')],
      list: ['list', join(repo, 'hidden')],
      delete: ['delete', join(repo, 'locked', 'key')],
    };
    for (const [name, [action, path]] of Object.entries(expect)) {
      assert.equal(out[name]?.code, 'PERMISSION_DENIED', `${name}: ${JSON.stringify(out[name])}`);
      assert.equal(out[name]?.message, `cannot ${action} ${path}: permission denied`, name);
    }
    // No temporary file was left behind by the refused writes.
    assert.deepEqual((await fs.readdir(join(repo, 'locked'))).sort(), ['key']);
  });

  it('pgdr wal archive into a folder a root-run backup created: exit 17 naming it, not INTERNAL', async () => {
    const repo = join(root, 'archive');
    const wals = join(repo, 'srv', 'wals');
    await fs.mkdir(wals, { recursive: true, mode: 0o755 });
    await fs.chmod(wals, 0o555);
    const pgWal = join(root, 'pg_wal');
    await fs.mkdir(pgWal, { mode: 0o755 });
    const seg = join(pgWal, '000000010000000000000001');
    await fs.writeFile(seg, Buffer.alloc(8192, 1), { mode: 0o644 });
    const args = [PGDR_BIN, 'wal', 'archive', '--destination-path', `file://${repo}`, '--server-name', 'srv'];
    const r = await runAsServerUser({ file: process.execPath, args: [...args, seg], user });
    assert.equal(r.code, 17, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(`pgdr: error: cannot write ${join(wals, '0000000100000000')}: permission denied`),
    );
    assert.match(r.stderr, /hint: check the owner and mode of the path/);
  });

  it('pgdr wal archive of a WAL file it may not read: exit 17 naming the file, not INTERNAL', async () => {
    const repo = join(root, 'archive-ok');
    await fs.mkdir(repo, { mode: 0o777 });
    await fs.chmod(repo, 0o777);
    const pgWal = join(root, 'pg_wal_locked');
    await fs.mkdir(pgWal, { mode: 0o755 });
    const seg = join(pgWal, '000000010000000000000002');
    await fs.writeFile(seg, Buffer.alloc(8192, 2));
    await fs.chmod(seg, 0o000);
    const args = [PGDR_BIN, 'wal', 'archive', '--destination-path', `file://${repo}`, '--server-name', 'srv'];
    const r = await runAsServerUser({ file: process.execPath, args: [...args, seg], user });
    assert.equal(r.code, 17, r.stderr);
    assert.match(r.stderr, new RegExp(`pgdr: error: cannot read ${seg}: permission denied`));
  });
});

describe('file:// store keys', () => {
  it("refuses a key that climbs out with '..' as REFUSED, not a bug", async () => {
    const store = new FsObjectStore(root);
    // A name of its own, so that nothing else on the machine can stand where the write would have landed.
    const outside = `pgdr-climbed-${process.pid}-${Date.now()}`;
    for (const op of [
      () => store.getBuffer('srv/../../etc/passwd'),
      () => store.put(`a/../../${outside}`, Buffer.from('x')),
    ]) {
      await assert.rejects(op(), (e: unknown) => {
        assert.ok(e instanceof Error && (e as { code?: string }).code === 'REFUSED', String(e));
        return true;
      });
    }
    await assert.rejects(fs.stat(join(root, '..', outside)), { code: 'ENOENT' });
  });
});
