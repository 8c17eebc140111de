// gs:// end to end, against the loopback GCS fake (no GCS emulator runs here): PostgreSQL 17 archives through
// `pgdr wal archive` (its archive_command), `pgdr backup create` writes a base backup, `pgdr check` names the
// Google credentials it used (never the key), and `pgdr restore` brings every archived row back through the
// restore_command pgdr writes (which reads its own copy of the key).
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { archivingPrimary, rowsOnlyInWal } from '../helpers/archiving-primary.js';
import { tableDigest } from '../helpers/backup-restore.js';
import { runPgdr } from '../helpers/cli.js';
import { type GcsFake, gcsAccess, startGcsFake } from '../helpers/gcs-fake.js';
import type { TestPostgres } from '../helpers/postgres.js';
import { queryRestored, type RestoreJson, stopPgCtl } from '../helpers/restore-run.js';

const BUCKET = 'pgdr-gcs-e2e';
const SERVER = 'gcs17';

describe('gs:// end to end: wal archive, backup create, check and restore against the GCS fake', () => {
  let fake: GcsFake;
  let root: string;
  let src: TestPostgres | undefined;
  let cfg: string;
  let key: string;
  let digest: { rows: number; md5: string | null };
  let restored: RestoreJson | undefined;

  before(async () => {
    fake = await startGcsFake({ buckets: [BUCKET] });
    root = await fsp.mkdtemp(join(tmpdir(), 'pgdr-gcs-'));
    await fsp.chmod(root, 0o755);
    const made = await archivingPrimary({ access: gcsAccess(fake, BUCKET), root, serverName: SERVER });
    src = made.primary;
    cfg = made.cfg;
    key = JSON.parse(await fsp.readFile(join(root, 'gcs-key.json'), 'utf8')).private_key;
    digest = await rowsOnlyInWal(src);
    src = undefined;
  });
  after(async () => {
    if (restored?.server)
      await stopPgCtl(restored.server.pgCtl, restored.server.pgdata).catch(() => undefined);
    await src?.cleanup();
    await fake?.close();
    if (root) await fsp.rm(root, { recursive: true, force: true });
  });

  const keyLines = () => key.split('\n').filter((l) => l.length > 20);

  it('the bucket holds the barman-cloud layout, written with tokens the fake issued', () => {
    const names = [...(fake.buckets.get(BUCKET)?.keys() ?? [])];
    assert.ok(
      names.some((n) => n.startsWith(`dr/${SERVER}/wals/0000000100000000/`)),
      names.join('\n'),
    );
    assert.ok(
      names.some((n) => /^dr\/gcs17\/base\/[^/]+\/backup\.info$/.test(n)),
      names.join('\n'),
    );
    const storage = fake.requests.filter((r) => r.path.includes('/storage/v1/'));
    assert.ok(storage.length > 0 && storage.every((r) => r.authorization?.startsWith('Bearer ya29.fake-')));
    assert.ok(fake.tokens.tokenRequests >= 1);
  });

  it('pgdr check passes and names the service-account key it used, not the key', async () => {
    const r = await runPgdr(['check', '--config', cfg, '--format', 'json'], { timeoutMs: 120_000 });
    const out = JSON.parse(r.stdout);
    const credentials = out.checks.find((c: { name: string }) => c.name === 'credentials');
    assert.equal(credentials.status, 'pass');
    assert.equal(
      credentials.finding,
      `the store accepted the credentials: the service-account key {file: ${join(root, 'gcs-key.json')}} (applicationCredentials) of pgdr-backup@pgdr-test.iam.gserviceaccount.com`,
    );
    const text = await runPgdr(['check', '--config', cfg], { timeoutMs: 120_000 });
    assert.match(text.stdout, /applicationCredentials\) of pgdr-backup@/);
    for (const l of keyLines()) assert.ok(!`${r.stdout}${r.stderr}${text.stdout}${text.stderr}`.includes(l));
  });

  it('pgdr restore recovers every archived row from gs://', async () => {
    const dir = join(root, 'restored');
    const r = await runPgdr(['restore', dir, '--config', cfg, '--format', 'json'], { timeoutMs: 300_000 });
    assert.equal(r.code, 0, r.stderr);
    restored = JSON.parse(r.stdout) as RestoreJson;
    assert.equal(restored.confirmation?.state, 'promoted');
    assert.deepEqual(
      await tableDigest({ query: (sql) => queryRestored(restored!, sql) }, 'pgdr_load'),
      digest,
    );
    for (const l of keyLines()) assert.ok(!`${r.stdout}${r.stderr}`.includes(l), 'the key is not printed');
  });
});
