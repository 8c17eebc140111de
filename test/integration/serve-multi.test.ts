// `pgdr serve --config a.yaml --config b.yaml --config c.yaml`: two file:// buckets holding a backup each and a
// third server whose object store refuses connections. The overview (headless Chromium) shows one card per
// server, the unreachable one as an error card without blanking the others, and each card links to that
// server's full dashboard; /metrics carries every server's series, each family declared once.
// PGDR_SCREENSHOTS=docs/ also writes the overview's screenshot there.
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ServerSummary } from '../../src/serve/overview.js';
import { runPgdr } from '../helpers/cli.js';
import { openDashboard } from '../helpers/dashboard-browser.js';
import { parsePrometheus, sample } from '../helpers/prometheus.js';
import { type ServeProcess, startServe } from '../helpers/serve-process.js';
import { BACKUP_ID, dataMembers, SERVER, writeSyntheticBackup } from '../helpers/synthetic-backup.js';

const SCREENSHOTS = process.env.PGDR_SCREENSHOTS;
const HEALTHY = [SERVER, 'orders'];
const DOWN = 'billing';

describe('pgdr serve with several servers: an overview card per server, each linking to its dashboard', () => {
  let dir: string;
  let serve: ServeProcess;
  const configs: string[] = [];
  const env = {
    AWS_ACCESS_KEY_ID: 'pgdr-test',
    AWS_SECRET_ACCESS_KEY: 'pgdr-test-secret',
    AWS_REGION: 'us-east-1',
  };
  const get = async (path: string) => {
    const res = await fetch(new URL(path, serve.url));
    return { status: res.status, body: await res.text() };
  };

  before(async () => {
    dir = await fsp.mkdtemp(join(tmpdir(), 'pgdr-serve-multi-'));
    for (const name of HEALTHY) {
      const root = join(dir, `bucket-${name}`);
      await writeSyntheticBackup({ root, data: dataMembers() });
      // The helper writes server SERVER; the same backup under another server name is a second server.
      if (name !== SERVER) await fsp.rename(join(root, SERVER), join(root, name));
      const cfg = join(dir, `${name}.yaml`);
      await fsp.writeFile(cfg, `serverName: ${name}\nobjectStore:\n  destinationPath: file://${root}\n`);
      configs.push(cfg);
    }
    // Nothing listens on port 9: this server's bucket cannot be read.
    const down = join(dir, `${DOWN}.yaml`);
    await fsp.writeFile(
      down,
      `serverName: ${DOWN}\nobjectStore:\n  destinationPath: s3://gone/pg\n  endpointURL: http://127.0.0.1:9\n`,
    );
    configs.push(down);
    serve = await startServe([...configs.flatMap((c) => ['--config', c]), '--refresh', '1s'], env);
  });
  after(async () => {
    await serve?.stop();
    if (dir) await fsp.rm(dir, { recursive: true, force: true });
  });

  it('/api/servers has a row per server; the unreachable one carries its error', async () => {
    const r = await get('/api/servers');
    assert.equal(r.status, 200);
    const rows = JSON.parse(r.body).servers as ServerSummary[];
    assert.deepEqual(
      rows.map((s) => s.serverName),
      [...HEALTHY, DOWN],
    );
    for (const s of rows.slice(0, 2)) {
      assert.equal(s.error, null, JSON.stringify(s.error));
      assert.equal(s.newestBackup?.backupId, BACKUP_ID);
      assert.equal(s.path, `server/${s.serverName}/`);
      assert.ok(s.recoveryWindow?.to, 'a recovery window');
    }
    assert.equal(rows[2]!.error?.code, 'STORE_UNREACHABLE');
    const one = JSON.parse((await get('/server/orders/api/status')).body);
    assert.equal(one.serverName, 'orders');
    assert.equal((await get('/server/nobody/api/status')).status, 404);
  });

  it('/metrics labels every series with its server and declares each family once', async () => {
    const text = (await get('/metrics')).body;
    assert.equal(text.split('\n').filter((l) => l === '# TYPE pgdr_up gauge').length, 1);
    const m = parsePrometheus(text);
    for (const s of HEALTHY) assert.equal(sample(m, 'pgdr_up', { server: s }), 1, s);
    for (const s of HEALTHY) assert.equal(sample(m, 'pgdr_backup_signal_present', { server: s }), 1, s);
    assert.equal(sample(m, 'pgdr_up', { server: DOWN }), 0);
    const only = parsePrometheus((await get('/server/orders/metrics')).body);
    assert.deepEqual(
      only.get('pgdr_up')?.metrics.map((x) => x.labels?.server),
      ['orders'],
    );
  });

  it('the overview, in headless Chromium, shows each card and links each to its timeline', async () => {
    const d = await openDashboard(serve.url, { width: 1280, height: 700 });
    try {
      const { page } = d;
      const cards = page.locator('#servers a.server-card');
      assert.equal(await cards.count(), 3);
      const down = page.locator(`[data-server="${DOWN}"]`);
      assert.equal(await down.getAttribute('data-level'), 'error');
      assert.match((await down.textContent()) ?? '', /STORE_UNREACHABLE/);
      for (const name of HEALTHY) {
        const card = page.locator(`[data-server="${name}"]`);
        assert.notEqual(await card.getAttribute('data-level'), 'error');
        assert.match((await card.locator('[data-fact="backup"]').textContent()) ?? '', /old$/);
        assert.match((await card.locator('[data-fact="window"]').textContent()) ?? '', /→/);
        assert.match((await card.locator('[data-fact="drill"]').textContent()) ?? '', /none/);
      }
      if (SCREENSHOTS) {
        await fsp.mkdir(SCREENSHOTS, { recursive: true });
        await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-servers.png'), fullPage: true });
      }
      assert.deepEqual(d.problems, []);
      for (const name of HEALTHY) {
        await page.goto(serve.url, { waitUntil: 'load' });
        await page.waitForSelector('body[data-ready="true"]');
        await page.locator(`[data-server="${name}"]`).click();
        await page.waitForURL(`${serve.url}server/${name}/`);
        await page.waitForSelector('body[data-ready="true"]');
        assert.equal(await page.locator('#server').textContent(), name);
        const tl = page.locator('[data-timeline="1"]');
        assert.equal(await tl.locator(`[data-backup-id="${BACKUP_ID}"]`).count(), 1);
        assert.equal(await page.locator('#overview-link').getAttribute('href'), '../../');
      }
      assert.deepEqual(d.problems, []);
    } finally {
      await d.close();
    }
  });

  it('refuses one server name twice, and --server-name with several configs', async () => {
    const twice = await runPgdr(
      ['serve', '--config', configs[0]!, '--config', configs[0]!, '--format', 'json'],
      {
        env,
      },
    );
    assert.equal(twice.code, 2, twice.stdout + twice.stderr);
    assert.match(JSON.parse(twice.stdout).error.message, new RegExp(`both name server ${SERVER}`));
    const named = await runPgdr(
      ['serve', '--config', configs[0]!, '--config', configs[1]!, '--server-name', 'x'],
      {
        env,
      },
    );
    assert.equal(named.code, 2);
    assert.match(named.stderr, /--server-name applies to one server/);
  });
});
