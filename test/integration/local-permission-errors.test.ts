// A local path the OS user may not read is PERMISSION_DENIED (exit 17) naming the path: not BUCKET_MISSING for a
// repository folder that is there, not CONFIG_INVALID for a data directory that is there, and not INTERNAL for a
// file-system error that reaches the CLI unwrapped. The calls run as the PostgreSQL OS user (root ignores
// permission bits), the way archive_command and `pgdr backup create` on the database host do.
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { resolveServerUser, type ServerUser } from '../../src/postgres/os-user.js';
import { type CallOutcome, callsAsServerUser } from '../helpers/server-user-calls.js';

const module = (path: string) => JSON.stringify(fileURLToPath(new URL(`../../src/${path}`, import.meta.url)));

let root: string;
let user: ServerUser | null;
before(async () => {
  root = await fs.mkdtemp(join(tmpdir(), 'pgdr-local-perm-'));
  await fs.chmod(root, 0o755);
  user = await resolveServerUser();
  // Owned by root, closed to everyone else.
  await fs.mkdir(join(root, 'closed', 'repo'), { recursive: true });
  await fs.mkdir(join(root, 'closed', 'pgdata', 'global'), { recursive: true });
  await fs.writeFile(join(root, 'closed', 'pgdata', 'global', 'pg_control'), Buffer.alloc(8));
  await fs.chmod(join(root, 'closed'), 0o700);
  // Readable, but one folder and one file inside are not.
  await fs.mkdir(join(root, 'open', 'pgdata', 'base'), { recursive: true });
  await fs.chmod(join(root, 'open', 'pgdata', 'base'), 0o700);
  await fs.mkdir(join(root, 'open', 'replica'), { recursive: true });
  await fs.writeFile(join(root, 'open', 'replica', 'pgdr-replica.json'), '{}', { mode: 0o600 });
  await fs.chmod(join(root, 'open', 'replica', 'pgdr-replica.json'), 0o600);
});
after(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

/** Runs each call as the server user, with the modules under test imported. */
function asServerUser(calls: string): Promise<Record<string, CallOutcome>> {
  return callsAsServerUser(
    user,
    `const { FsObjectStore } = await import(${module('storage/fs/fs-store.js')});
    const { checkPgdata } = await import(${module('engine/backup/preflight.js')});
    const { walkTree } = await import(${module('engine/backup/walk-tree.js')});
    const { readReplicaState } = await import(${module('engine/replica/replica-state.js')});
    const { asPgdrError } = await import(${module('errors.js')});
    const { readFile } = await import('node:fs/promises');
    const meta = { dataDirectory: '/pgdata', systemId: '1' };`,
    calls,
  );
}

describe('local permission errors (run as the PostgreSQL OS user)', () => {
  it('a repository folder that cannot be looked at is PERMISSION_DENIED; only an absent one BUCKET_MISSING', async () => {
    const repo = join(root, 'closed', 'repo');
    const out = await asServerUser(`
      closed: () => new FsObjectStore(${JSON.stringify(repo)}).checkAccess(),
      absent: () => new FsObjectStore(${JSON.stringify(join(root, 'open', 'nope'))}).checkAccess(),`);
    assert.deepEqual(out.closed, {
      code: 'PERMISSION_DENIED',
      message: `cannot open ${repo}: permission denied`,
    });
    assert.equal((out.absent as { code: string }).code, 'BUCKET_MISSING');
  });

  it('a data directory that cannot be read is PERMISSION_DENIED naming the file, not CONFIG_INVALID', async () => {
    const control = join(root, 'closed', 'pgdata', 'global', 'pg_control');
    const base = join(root, 'open', 'pgdata', 'base');
    const out = await asServerUser(`
      control: () => checkPgdata(${JSON.stringify(join(root, 'closed', 'pgdata'))}, meta),
      walk: () => walkTree(${JSON.stringify(join(root, 'open', 'pgdata'))}, { exclude: [] }),
      absent: () => checkPgdata(${JSON.stringify(join(root, 'open', 'nope'))}, meta),`);
    assert.deepEqual(out.control, {
      code: 'PERMISSION_DENIED',
      message: `cannot read ${control}: permission denied`,
    });
    assert.deepEqual(out.walk, {
      code: 'PERMISSION_DENIED',
      message: `cannot read ${base}: permission denied`,
    });
    assert.equal((out.absent as { code: string }).code, 'CONFIG_INVALID');
  });

  it('a replica state file that cannot be read is PERMISSION_DENIED, not CONFIG_INVALID', async () => {
    const file = join(root, 'open', 'replica', 'pgdr-replica.json');
    const out = await asServerUser(`
      state: () => readReplicaState(${JSON.stringify(join(root, 'open', 'replica'))}),`);
    assert.deepEqual(out.state, {
      code: 'PERMISSION_DENIED',
      message: `cannot read ${file}: permission denied`,
    });
  });

  it('a file-system error that reaches the CLI unwrapped is reported as PERMISSION_DENIED, not INTERNAL', async () => {
    const file = join(root, 'open', 'replica', 'pgdr-replica.json');
    const out = await asServerUser(`
      raw: () => readFile(${JSON.stringify(file)}).catch((e) => { throw asPgdrError(e); }),`);
    assert.deepEqual(out.raw, {
      code: 'PERMISSION_DENIED',
      message: `cannot open ${file}: permission denied`,
    });
  });
});
