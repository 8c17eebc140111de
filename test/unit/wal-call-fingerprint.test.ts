// The fingerprint and marker texts bin/pgdr reads in sh (see wal-exe.test.ts for the two together), and the
// limiter that paces compressions in parallel archiving.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { callFingerprint, FINGERPRINT_HEADER } from '../../src/cli/call-fingerprint.js';
import { limiter } from '../../src/common/map-limit.js';
import { bootId } from '../../src/engine/boot-id.js';
import { fileIdentity } from '../../src/engine/file-identity.js';
import { formatMarker, parseMarker } from '../../src/engine/wal-archive-marker.js';

describe('call fingerprint', () => {
  it('is the lines bin/pgdr compares: header, boot, cwd, PGDR_CONFIG, flags, config file and identity', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pgdr-fp-'));
    try {
      const cfg = join(dir, 'c.yaml');
      await writeFile(cfg, 'serverName: x\n');
      const fp = await callFingerprint({
        argv: ['--max-parallel', '8', '--config', 'c.yaml', 'pg_wal/X'],
        positionals: ['pg_wal/X'],
        configFlag: 'c.yaml',
        env: {},
        cwd: dir,
      });
      assert.deepEqual(fp.split('\n'), [
        FINGERPRINT_HEADER,
        await bootId(),
        dir,
        '',
        '4',
        '--max-parallel',
        '8',
        '--config',
        'c.yaml',
        cfg,
        await fileIdentity(cfg),
      ]);
      const viaEnv = await callFingerprint({
        argv: ['X'],
        positionals: ['X'],
        configFlag: undefined,
        env: { PGDR_CONFIG: cfg },
        cwd: dir,
      });
      assert.deepEqual(viaEnv.split('\n').slice(3), [`=${cfg}`, '0', cfg, await fileIdentity(cfg)]);
      const none = await callFingerprint({
        argv: ['X'],
        positionals: ['X'],
        configFlag: undefined,
        env: {},
        cwd: dir,
      });
      assert.deepEqual(none.split('\n').slice(3), ['', '0', '', '']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('positionals not last give a form bin/pgdr never matches, stable for the CLI', async () => {
    const call = (argv: string[]) =>
      callFingerprint({ argv, positionals: ['A', 'B'], configFlag: undefined, env: {}, cwd: '/' });
    const a = await call(['A', 'B', '--no-partial']);
    assert.equal(a, await call(['A', 'B', '--no-partial']));
    assert.deepEqual(a.split('\n').slice(4, 6), ['2', '--positionals-not-last']);
    assert.notEqual(a, await call(['--no-partial', 'A', 'B']));
  });
});

describe('archive marker text', () => {
  it('round-trips identity, key and a multi-line fingerprint; rejects torn text', () => {
    const m = {
      identity: '12 16777216 1795545438.534508014',
      key: 's/wals/0/X.gz',
      fingerprint: 'a\nb\n\nc',
    };
    assert.deepEqual(parseMarker(formatMarker(m)), m);
    assert.equal(parseMarker(''), undefined);
    assert.equal(parseMarker('12 1 2.0\n'), undefined);
    assert.equal(parseMarker('12 1 2.0\n\nfp'), undefined);
  });
});

describe('limiter', () => {
  it('runs at most N at once, in the order given', async () => {
    const slot = limiter(2);
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const job = (i: number) =>
      slot(async () => {
        started.push(i);
        most = Math.max(most, ++running);
        await new Promise((r) => setTimeout(r, 5));
        running--;
        return i;
      });
    assert.deepEqual(await Promise.all([0, 1, 2, 3, 4].map(job)), [0, 1, 2, 3, 4]);
    assert.equal(most, 2);
    assert.deepEqual(started, [0, 1, 2, 3, 4]);
    await assert.rejects(
      slot(() => Promise.reject(new Error('x'))),
      /x/,
    );
    assert.equal(await slot(async () => 'free again'), 'free again');
  });
});
