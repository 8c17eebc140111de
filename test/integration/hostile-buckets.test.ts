// Every case of the hostile-bucket corpus (test/helpers/hostile-bucket-cases.ts) through the real CLI: the exit
// code and a message naming the object, a sentinel folder outside the target (where the corpus's links point)
// unchanged to the byte, mode and mtime, nothing written next to the target, and the command ended (each run
// has its own deadline; a hang is killed and fails the case).
import assert from 'node:assert/strict';
import { existsSync, promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { findBinaries } from '../../src/postgres/binaries.js';
import { runPgdr } from '../helpers/cli.js';
import { HOSTILE_CASES } from '../helpers/hostile-bucket-cases.js';
import {
  type BaseBucket,
  buildBaseBucket,
  type Layout,
  makeLayout,
  prepareCase,
} from '../helpers/hostile-buckets.js';
import { stopPgCtl } from '../helpers/restore-run.js';
import { treeHash } from '../helpers/tree-hash.js';

/** Bytes of the regular files under dir (links not followed). */
async function treeBytes(dir: string): Promise<number> {
  const st = await fsp.lstat(dir).catch(() => undefined);
  if (st === undefined || st.isSymbolicLink()) return 0;
  if (!st.isDirectory()) return st.size;
  let n = 0;
  for (const name of await fsp.readdir(dir)) n += await treeBytes(join(dir, name));
  return n;
}

describe('hostile and damaged buckets: refused by name, nothing outside the target touched', {
  timeout: 60 * 60_000,
}, () => {
  let layout: Layout;
  let base: BaseBucket;

  before(async () => {
    layout = await makeLayout(await fsp.mkdtemp(join(tmpdir(), 'pgdr-hb-')));
    base = await buildBaseBucket(layout);
  });
  after(async () => {
    if (layout) await fsp.rm(layout.root, { recursive: true, force: true });
  });

  for (const c of HOSTILE_CASES) {
    const started = c.run === 'restore-start';
    it(`${c.name}: ${c.what} -> exit ${c.expect.code}`, {
      timeout: started ? 400_000 : 240_000,
    }, async (t) => {
      const run = await prepareCase(c, layout, base);
      const sentinel = await treeHash(layout.sentinel);
      try {
        const r = await runPgdr(run.args, { cwd: run.cwd, timeoutMs: started ? 300_000 : 150_000 });
        const out = `${r.stdout}\n${r.stderr}`;
        const said =
          r.stderr.split('\n').find((l) => /error|warning|note/i.test(l)) ??
          (started ? `confirmation ${r.stdout.match(/"state": "\w+"/)?.[0]}` : '');
        t.diagnostic(`observed: exit ${r.code}; ${said.trim()}`);
        assert.equal(
          await treeHash(layout.sentinel),
          sentinel,
          'the sentinel folder outside the target changed',
        );
        const beside = (await fsp.readdir(dirname(run.target))).filter((n) => n !== 'target');
        assert.deepEqual(beside, [], `written next to the target folder: ${beside.join(', ')}`);
        assert.notEqual(r.code, null, `killed at its deadline (a hang):\n${out}`);
        assert.equal(r.code, c.expect.code, out);
        assert.match(out, c.expect.message);
        if (c.limitBytes !== undefined) {
          const n = await treeBytes(run.target);
          assert.ok(n < c.limitBytes, `the target holds ${n} bytes, ${c.limitBytes} at most`);
        }
        if (c.run === 'wal-restore' && c.expect.code !== 0) {
          assert.ok(
            !existsSync(join(run.target, 'pg_wal', 'RECOVERYXLOG')),
            'a refused WAL file left no file',
          );
        }
        if (r.code === 0) await c.verify?.(run.target, r.stdout, base);
      } finally {
        if (existsSync(join(run.target, 'postmaster.pid'))) {
          await stopPgCtl((await findBinaries({ major: 17 })).pgCtl, run.target).catch(() => undefined);
        }
        await fsp.rm(run.bucket, { recursive: true, force: true });
        await fsp.rm(dirname(run.target), { recursive: true, force: true });
      }
    });
  }
});
