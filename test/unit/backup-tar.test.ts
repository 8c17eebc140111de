// Our tar writer and path rules checked against the Python code barman-cloud-restore and barman itself run.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { EXCLUDE, PGDATA_EXCLUDE, PGDR_EXCLUDE, pathAllowed } from '../../src/engine/backup/path-filter.js';
import { type FileRecord, tarStream } from '../../src/engine/backup/tar-stream.js';
import { walkTree } from '../../src/engine/backup/walk-tree.js';

const PY = '/usr/bin/python3';

describe('tar stream', () => {
  it('is read by Python tarfile in stream mode: long and non-ASCII names, symlinks, a shrunk file', async () => {
    const dir = await fsp.mkdtemp(join(tmpdir(), 'pgdr-tar-'));
    try {
      const long = `${'d'.repeat(60)}/${'f'.repeat(80)}`;
      await fsp.mkdir(join(dir, 'd'.repeat(60)));
      await fsp.writeFile(join(dir, long), 'long name');
      await fsp.writeFile(join(dir, 'café.txt'), 'é');
      await fsp.writeFile(join(dir, 'big'), Buffer.alloc(3 * 1024 * 1024 + 7, 1));
      await fsp.symlink('big', join(dir, 'link'));
      const entries = await walkTree(dir, { exclude: [] });
      // The file shrinks after it was listed: the tar must still hold its listed size, zero-padded.
      await fsp.truncate(join(dir, 'big'), 1000);
      const files: FileRecord[] = [];
      const chunks: Buffer[] = [];
      for await (const c of tarStream({ entries, onFile: (f) => files.push(f) })) chunks.push(c);
      const tar = Buffer.concat(chunks);
      assert.equal(tar.length % 10240, 0);
      const py = [
        'import sys, tarfile, io',
        't = tarfile.open(fileobj=sys.stdin.buffer, mode="r|")',
        'for m in t:',
        '    data = t.extractfile(m).read() if m.isfile() else b""',
        '    print(m.name, m.type.decode(), m.size, m.linkname, sum(data), sep="|")',
      ].join('\n');
      const r = spawnSync(PY, ['-c', py], { input: tar });
      assert.equal(r.status, 0, r.stderr.toString());
      const lines = r.stdout.toString().trim().split('\n').sort();
      assert.deepEqual(
        lines,
        [
          '.|5|0||0',
          `./big|0|${3 * 1024 * 1024 + 7}||1000`,
          `./café.txt|0|2||${0xc3 + 0xa9}`,
          './link|2|0|big|0',
          `${'d'.repeat(60)}|5|0||0`,
          `${long}|0|9||${[...Buffer.from('long name')].reduce((a, b) => a + b, 0)}`,
        ].sort(),
      );
      assert.equal(files.find((f) => f.name === './big')?.truncated, true);
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });
});

describe('path rules', () => {
  it('match barman.fs.path_allowed on PGDATA and tablespace paths', () => {
    const paths = [
      '.',
      './PG_VERSION',
      './postmaster.pid',
      './postgresql.auto.conf.tmp',
      'pg_wal',
      'pg_wal/000000010000000000000001',
      'pg_wal/archive_status',
      'global/pg_control',
      'global/1262',
      'base/5/pg_internal.init',
      'base/pgsql_tmp',
      'base/pgsql_tmp/pgsql_tmp1.0',
      'pg_stat_tmp/global.stat',
      'pg_replslot/slot1',
      'pg_tblspc/16385',
      'log/postgresql.log',
      'PG_17_202406281',
      'PG_17_202406281/5/16390',
    ];
    const pgdataRules = { exclude: [...PGDATA_EXCLUDE, ...EXCLUDE, '/pg_tblspc/16385'] };
    const tsRules = { exclude: ['/*', ...EXCLUDE], include: ['/PG_17_*'] };
    const py = [
      'import json, sys',
      'from barman.fs import path_allowed',
      'from barman.postgres_plumbing import EXCLUDE_LIST, PGDATA_EXCLUDE_LIST',
      'out = []',
      'for path, is_dir in json.load(sys.stdin):',
      '    a = path_allowed(PGDATA_EXCLUDE_LIST + EXCLUDE_LIST + ["/pg_tblspc/16385"], None, path, is_dir)',
      '    b = path_allowed(["/*"] + EXCLUDE_LIST, ["/PG_17_*"], path, is_dir)',
      '    out.append([a, b])',
      'print(json.dumps(out))',
    ].join('\n');
    const inputs = paths.flatMap((p) => [
      [p, true],
      [p, false],
    ]);
    const r = spawnSync(PY, ['-c', py], { input: JSON.stringify(inputs) });
    assert.equal(r.status, 0, r.stderr.toString());
    const want = JSON.parse(r.stdout.toString()) as [boolean, boolean][];
    inputs.forEach(([path, isDir], i) => {
      const got = [
        pathAllowed(pgdataRules, path as string, isDir as boolean),
        pathAllowed(tsRules, path as string, isDir as boolean),
      ];
      assert.deepEqual(got, want[i], `${path} (dir: ${isDir})`);
    });
  });

  it("walk a data directory as barman's upload_directory does; pgdr's WAL spool is never included", async () => {
    const dir = await fsp.mkdtemp(join(tmpdir(), 'pgdr-walk-'));
    try {
      const files = [
        'PG_VERSION',
        'base/5/16384',
        'pg_wal/000000010000000000000001',
        'pg_wal/archive_status/000000010000000000000001.done',
        'pg_wal/summaries/0000000100000000010000000001000000.summary',
        'pg_wal/.pgdr-wal/config',
        'pg_wal/.pgdr-wal/ready/000000010000000000000002',
        'pg_wal/.pgdr-wal/seed/000000010000000000000003',
        'pg_stat_tmp/global.stat',
        'pg_stat_tmp/sub/deep.stat',
      ];
      for (const f of files) {
        await fsp.mkdir(join(dir, f, '..'), { recursive: true });
        await fsp.writeFile(join(dir, f), f);
      }
      const py = [
        'import os, sys',
        'from barman.fs import path_allowed',
        'from barman.postgres_plumbing import EXCLUDE_LIST, PGDATA_EXCLUDE_LIST',
        'rules = PGDATA_EXCLUDE_LIST + EXCLUDE_LIST',
        'src = sys.argv[1]',
        'for root, dirs, files in os.walk(src):',
        '    tar_root = os.path.relpath(root, src)',
        '    if not path_allowed(rules, None, tar_root, True):',
        '        continue',
        '    print(tar_root)',
        '    for f in files:',
        '        item = os.path.join(tar_root, f)',
        '        if path_allowed(rules, None, item, False):',
        '            print(item)',
      ].join('\n');
      const r = spawnSync(PY, ['-c', py, dir]);
      assert.equal(r.status, 0, r.stderr.toString());
      const barman = r.stdout.toString().trim().split('\n').sort();
      const walk = async (exclude: string[]) => (await walkTree(dir, { exclude })).map((e) => e.name).sort();
      assert.deepEqual(await walk([...PGDATA_EXCLUDE, ...EXCLUDE]), barman);
      // barman would take the files of folders nested two deep in pg_wal; pgdr's spool lives there.
      const ours = await walk([...PGDATA_EXCLUDE, ...PGDR_EXCLUDE, ...EXCLUDE]);
      assert.ok(barman.includes('pg_wal/.pgdr-wal/seed/000000010000000000000003'), barman.join(' '));
      assert.deepEqual(
        ours,
        barman.filter((n) => !n.startsWith('pg_wal/.pgdr-wal/')),
      );
      assert.ok(
        !ours.some((n) => n.includes('archive_status/') || n.includes('pg_stat_tmp/global')),
        ours.join(' '),
      );
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });
});
