import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isPgdrError } from '../../src/errors.js';
import { findBinaries } from '../../src/postgres/binaries.js';
import { resolveServerUser } from '../../src/postgres/os-user.js';
import { loadRows, pgbench, startPostgres, type TestPostgres } from '../helpers/postgres.js';

async function processUid(pgdata: string): Promise<number> {
  const pid = (await fsp.readFile(`${pgdata}/postmaster.pid`, 'utf8')).split('\n')[0];
  const status = await fsp.readFile(`/proc/${pid}/status`, 'utf8');
  const m = /^Uid:\s+(\d+)/m.exec(status);
  assert.ok(m, `no Uid line for pid ${pid}`);
  return Number(m[1]);
}

for (const major of [17, 15] as const) {
  describe(`PostgreSQL ${major} harness`, () => {
    let pg: TestPostgres | undefined;
    after(async () => pg?.cleanup());

    it('starts, answers queries and runs as the unprivileged user when root', async () => {
      pg = await startPostgres({ major, dataChecksums: true });
      const [row] = await pg.query<{ server_version_num: string }>('SHOW server_version_num');
      assert.equal(Math.floor(Number(row?.server_version_num) / 10000), major);
      const [cs] = await pg.query<{ data_checksums: string }>('SHOW data_checksums');
      assert.equal(cs?.data_checksums, 'on');
      const expected = (await resolveServerUser())?.uid ?? process.getuid?.();
      assert.equal(await processUid(pg.pgdata), expected);
      if (process.getuid?.() === 0) assert.notEqual(expected, 0);
    });

    it('takes pgbench and the row loader', async () => {
      assert.ok(pg);
      await pgbench({ connectionString: pg.connectionString, init: { scale: 1 }, run: { transactions: 50 } });
      const [n] = await pg.query<{ n: string }>('SELECT count(*) AS n FROM pgbench_accounts');
      assert.equal(Number(n?.n), 100_000);
      assert.equal(await loadRows({ db: pg, rows: 10 }), 10);
      assert.equal(await loadRows({ db: pg, rows: 5 }), 15);
    });

    it('stops, and stopping twice is harmless', async () => {
      assert.ok(pg);
      await pg.stop();
      assert.equal(await pg.server.isRunning(), false);
      await assert.rejects(pg.query('SELECT 1'), (e) => isPgdrError(e, 'POSTGRES_UNREACHABLE'));
      await pg.stop();
      const dir = pg.dir;
      await pg.cleanup();
      await assert.rejects(fsp.access(dir), { code: 'ENOENT' });
    });
  });
}

describe('failures', () => {
  it('names what is available when a major is missing', async () => {
    await assert.rejects(findBinaries({ major: 9 }), (e) => {
      assert.ok(isPgdrError(e, 'POSTGRES_BINARIES'));
      assert.match(e.message, /no PostgreSQL 9 binaries found/);
      assert.match(
        e.hint ?? '',
        /available: 15\.\d+ in \/usr\/lib\/postgresql\/15\/bin, 17\.\d+ in .*native\/bin/,
      );
      assert.match(e.hint ?? '', /postgresql-9/);
      return true;
    });
  });

  it('refuses binaries the server user cannot reach when root', async () => {
    const dir = await fsp.mkdtemp(join(tmpdir(), 'pgdr-bin-'));
    try {
      await fsp.chmod(dir, 0o700);
      for (const name of ['initdb', 'pg_ctl', 'postgres']) {
        await fsp.symlink(`/usr/lib/postgresql/15/bin/${name}`, join(dir, name));
      }
      const user = await resolveServerUser();
      if (user === null) {
        // Not root: servers run as ourselves, and we own the folder.
        assert.equal((await findBinaries({ binDir: dir })).major, 15);
        return;
      }
      await assert.rejects(findBinaries({ binDir: dir }), (e) => {
        assert.ok(isPgdrError(e, 'POSTGRES_BINARIES'));
        assert.match(e.message, /PostgreSQL 15\.\d+ in .*pgdr-bin-.* cannot be run by OS user 'postgres'/);
        assert.match(
          e.hint ?? '',
          new RegExp(`cannot enter or execute ${dir}: make it traversable \\(chmod o\\+rx`),
        );
        return true;
      });
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });

  it('reports a server that does not start with the end of its log', async () => {
    await assert.rejects(startPostgres({ major: 17, settings: { shared_buffers: 'lots' } }), (e) => {
      assert.ok(isPgdrError(e, 'POSTGRES_ERROR'));
      assert.match(e.message, /PostgreSQL 17\.\d+ did not start on port \d+/);
      assert.match(e.hint ?? '', /invalid value for parameter "shared_buffers": "lots"/);
      return true;
    });
  });
});
