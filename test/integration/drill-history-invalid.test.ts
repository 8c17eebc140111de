// One malformed drill report in the bucket (bad JSON, the wrong shape, or far too large) must not break
// `pgdr drill history` or `pgdr serve`: the good reports are listed, the bad ones named by object key and
// counted (pgdr_drill_reports_invalid), and every answer is 200 / exit 0.
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { appendHistory, historyPrefix, MAX_REPORT_BYTES } from '../../src/drill/drill-history.js';
import type { DrillReport } from '../../src/drill/drill-types.js';
import { openStore } from '../../src/storage/open-store.js';
import { runPgdr } from '../helpers/cli.js';
import { parsePrometheus, sample } from '../helpers/prometheus.js';
import { startServe } from '../helpers/serve-process.js';

const SERVER = 'db';

const GOOD: DrillReport = {
  id: '0a1b2c3d',
  result: 'pass',
  scenario: 'restore',
  serverName: SERVER,
  destination: 'file:///x',
  target: { requested: 'latest', time: null, reached: true },
  backupId: '20250101T060000',
  stages: [
    { name: 'preflight', status: 'pass', durationMs: 120, detail: 'ok' },
    { name: 'plan', status: 'pass', durationMs: 300, detail: 'backup 20250101T060000' },
  ],
  rtoMs: 64_000,
  rpoMs: 2_000,
  lastReplayedTransaction: '2025-01-01T07:00:00.000Z',
  newestWalArchivedAt: '2025-01-01T07:00:02.000Z',
  checks: [],
  failedStage: null,
  kept: null,
  startedAt: '2025-01-01T07:01:00.000Z',
  finishedAt: '2025-01-01T07:02:10.000Z',
};

// Named as pgdr names them (historyKey), newer than the good one so they come first.
const BAD: Record<string, Buffer> = {
  '20250102T000000Z-badjson.json': Buffer.from('{"id": "x", "result": '),
  '20250103T000000Z-shape.json': Buffer.from(JSON.stringify({ ...GOOD, id: 'shape', stages: [null] })),
  '20250104T000000Z-notarget.json': Buffer.from(JSON.stringify({ ...GOOD, id: 'nt', target: 'latest' })),
  '20250105T000000Z-huge.json': Buffer.alloc(MAX_REPORT_BYTES + 1, 0x20),
};

describe('drill reports: a malformed one is skipped, counted and named', () => {
  let dir: string;
  let store: string[];
  before(async () => {
    dir = await fsp.mkdtemp(join(tmpdir(), 'pgdr-drill-invalid-'));
    const repo = join(dir, 'repo');
    await fsp.mkdir(repo);
    store = ['--destination-path', `file://${repo}`, '--server-name', SERVER];
    const s = await openStore({
      destinationPath: `file://${repo}`,
      region: 'us-east-1',
      forcePathStyle: true,
      wal: { compression: 'none', maxParallel: 1 },
      data: { compression: 'none', jobs: 1, immediateCheckpoint: true },
    });
    try {
      await appendHistory(s, GOOD);
      for (const [name, body] of Object.entries(BAD)) await s.put(historyPrefix(SERVER) + name, body);
    } finally {
      await s.close();
    }
  });
  after(() => fsp.rm(dir, { recursive: true, force: true }));

  it('drill history lists the good report and names each bad one (table and json), exit 0', async () => {
    const t = await runPgdr(['drill', 'history', ...store]);
    assert.equal(t.code, 0, t.stderr);
    assert.match(t.stdout, /Drills of db: 5 \(1 passed, 0 failed, 4 invalid report\(s\) skipped\)/);
    assert.match(t.stdout, /2025-01-01T07:01:00Z\s+PASS\s+latest\s+20250101T060000/);
    for (const name of Object.keys(BAD)) {
      assert.match(t.stdout, new RegExp(`INVALID .*db/pgdr/drills/${name.replace('.', '\\.')}: `), name);
    }
    assert.match(
      t.stdout,
      /-huge\.json: db\/pgdr\/drills\/\S+ is larger than 1048576 bytes: not a drill report/,
    );
    assert.match(t.stdout, /-shape\.json: stages\[0\] must be/);
    assert.match(t.stdout, /-badjson\.json: not JSON: /);
    assert.match(t.stdout, /RTO trend \(last 1, oldest first\)/);

    const j = await runPgdr(['drill', 'history', '--format', 'json', ...store]);
    assert.equal(j.code, 0, j.stderr);
    const out = JSON.parse(j.stdout);
    assert.equal(out.invalid, 4);
    assert.deepEqual(
      out.drills.filter((d: { invalid?: boolean }) => d.invalid).map((d: { key: string }) => d.key),
      Object.keys(BAD)
        .reverse()
        .map((n) => historyPrefix(SERVER) + n),
    );
    assert.deepEqual(
      out.drills.filter((d: { id?: string }) => d.id).map((d: { id: string }) => d.id),
      [GOOD.id],
    );
  });

  it('pgdr serve answers 200 on /metrics and /api/status, with pgdr_drill_reports_invalid 4', async () => {
    const serve = await startServe(store, {});
    try {
      const metrics = await fetch(new URL('/metrics', serve.url));
      assert.equal(metrics.status, 200);
      const m = parsePrometheus(await metrics.text());
      assert.equal(sample(m, 'pgdr_drill_reports_invalid', { server: SERVER }), 4);
      assert.equal(sample(m, 'pgdr_last_drill_success', { server: SERVER }), 1);
      const api = await fetch(new URL('/api/status', serve.url));
      assert.equal(api.status, 200);
      const st = JSON.parse(await api.text());
      assert.equal(st.drills.unreadable, 4);
      assert.deepEqual(
        st.drills.invalid.map((x: { key: string }) => x.key).sort(),
        Object.keys(BAD).map((n) => historyPrefix(SERVER) + n),
      );
      assert.deepEqual(
        st.drills.entries.map((d: { id: string }) => d.id),
        [GOOD.id],
      );
    } finally {
      await serve.stop();
    }
  });
});
