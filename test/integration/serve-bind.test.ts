// `pgdr serve` on a non-loopback address: refused (USAGE, before reading anything) unless --allow-remote says
// so, and then it warns. The dashboard has no password: exposing it must be a decision, never a typo.
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runPgdr } from '../helpers/cli.js';
import { until } from '../helpers/poll.js';
import { startServe } from '../helpers/serve-process.js';

describe('pgdr serve --host / --allow-remote', () => {
  let dir: string;
  let store: string[];
  before(async () => {
    dir = await fsp.mkdtemp(join(tmpdir(), 'pgdr-serve-bind-'));
    await fsp.mkdir(join(dir, 'repo'));
    store = ['--destination-path', `file://${join(dir, 'repo')}`, '--server-name', 'db'];
  });
  after(() => fsp.rm(dir, { recursive: true, force: true }));

  it('refuses a non-loopback --host without --allow-remote, with a hint', async () => {
    for (const host of ['0.0.0.0', '::', '192.0.2.10']) {
      const r = await runPgdr(['serve', '--host', host, '--port', '0', ...store]);
      assert.equal(r.code, 2, r.stderr);
      assert.ok(
        r.stderr.includes(`pgdr: error: serve: --host ${host} would expose the dashboard and /metrics`),
        r.stderr,
      );
      assert.match(r.stderr, /\nhint: keep the default 127\.0\.0\.1 .* or pass --allow-remote to mean it\n$/);
      assert.equal(r.stdout, '');
    }
  });

  it('serves on 0.0.0.0 with --allow-remote, and warns', async () => {
    const serve = await startServe(['--host', '0.0.0.0', '--allow-remote', ...store], {});
    try {
      // stderr and stdout are two pipes: the warning, written first, may still be on its way.
      const warned = /warning: serve: bound to 0\.0\.0\.0 \(--allow-remote\): anyone who reaches/;
      await until('the warning', async () => (warned.test(serve.output()) ? true : undefined));
      const res = await fetch(new URL('/healthz', serve.url));
      assert.equal(res.status, 200);
    } finally {
      assert.equal(await serve.stop(), 0);
    }
  });

  it('a loopback --host needs no flag', async () => {
    const serve = await startServe(['--host', '127.0.0.1', ...store], {});
    try {
      assert.doesNotMatch(serve.output(), /warning/);
      assert.equal((await fetch(new URL('/healthz', serve.url))).status, 200);
    } finally {
      await serve.stop();
    }
  });
});
