// An object store that fails in the middle of a WAL upload: the archive command exits non-zero, no partial
// object is visible, and the next attempt (PostgreSQL retries) stores the segment.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { listBucketKeys } from '../helpers/barman-bucket.js';
import { runPgdr, s3Args, s3Env } from '../helpers/cli.js';
import { type S3rverHandle, startS3rver } from '../helpers/s3rver.js';
import { generateWalSegments, type WalSegments } from '../helpers/wal-segments.js';

const BUCKET = 'outage';
const DEST = `s3://${BUCKET}/wal`;
const CUT_AFTER = 1 << 20;

type Mode = 'pass' | 'cut' | 'stop';

/** A TCP proxy in front of s3rver that, past CUT_AFTER request bytes on a connection, cuts it or kills s3rver. */
function startProxy(
  s3: S3rverHandle,
  state: { mode: Mode; tripped: number },
): Promise<{ server: Server; port: number }> {
  const server = createServer((client: Socket) => {
    const upstream = connect(s3.port, '127.0.0.1');
    let sent = 0;
    client.on('data', (d: Buffer) => {
      sent += d.length;
      if (state.mode !== 'pass' && sent > CUT_AFTER) {
        state.tripped++;
        if (state.mode === 'stop') {
          // Killed before its connection ends: s3rver must not get the chance to commit the partial body it
          // received (it would, on a reset that reached it first; see below).
          client.pause();
          void s3.stop({ keepData: true }).finally(() => {
            client.resetAndDestroy();
            upstream.destroy();
          });
          return;
        }
        // A reset, as a dropping proxy or NAT sends. (s3rver commits whatever body it got when the request
        // merely ends early -- it checks neither Content-Length nor Content-MD5 -- which real S3 never does.)
        client.resetAndDestroy();
        upstream.resetAndDestroy();
        return;
      }
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => client.write(d));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('close', () => upstream.destroy());
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, port: (server.address() as { port: number }).port }),
    ),
  );
}

describe('WAL archive when the store fails mid-upload', () => {
  let s3: S3rverHandle;
  let segs: WalSegments;
  let proxy: { server: Server; port: number };
  let work: string;
  const state = { mode: 'pass' as Mode, tripped: 0 };
  before(async () => {
    [s3, segs] = await Promise.all([startS3rver({ buckets: [BUCKET] }), generateWalSegments({ count: 2 })]);
    proxy = await startProxy(s3, state);
    work = await mkdtemp(join(tmpdir(), 'pgdr-outage-'));
  });
  after(async () => {
    proxy?.server.close();
    await s3?.stop();
    await segs?.cleanup();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const pgdr = (server: string, args: string[]) =>
    runPgdr(
      [
        ...args,
        ...s3Args({ endpoint: `http://127.0.0.1:${proxy.port}`, destination: DEST, serverName: server }),
      ],
      {
        env: s3Env(s3),
      },
    );
  const keys = (server: string) =>
    listBucketKeys({ endpoint: s3.endpoint, bucket: BUCKET, prefix: `wal/${server}/` });

  it('s3rver stopped mid-upload: non-zero exit, no partial object; the next attempt succeeds', async () => {
    const mode = 'stop';
    const server = `srv-${mode}`;
    const name = segs.names[1]!;
    const path = join(segs.dir, name);
    state.mode = mode;
    state.tripped = 0;
    const failed = await pgdr(server, ['wal', 'archive', '--compression', 'none', path]);
    state.mode = 'pass';
    assert.ok(state.tripped > 0, 'the upload should have been interrupted');
    assert.notEqual(failed.code, 0, failed.stderr);
    assert.match(failed.stderr, /^pgdr: error: /m);
    await s3.restart();
    assert.deepEqual(await keys(server), []);

    const ok = await pgdr(server, ['wal', 'archive', '--compression', 'none', path]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(await keys(server), [`wal/${server}/wals/${name.slice(0, 16)}/${name}`]);
    const out = join(work, name);
    const r = await pgdr(server, ['wal', 'restore', name, out]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok((await readFile(out)).equals(await readFile(path)));
  });

  // s3rver commits whatever body it received when a PUT's connection is reset (it checks neither Content-Length
  // nor the Content-MD5 pgdr sends; real S3 rejects both), so against s3rver a cut leaves a truncated object.
  // What pgdr must still do: fail the call, and never overwrite that object, not even to repair it.
  it('connection cut mid-upload: non-zero exit; the truncated object s3rver keeps is refused, never overwritten', async () => {
    const server = 'srv-cut';
    const name = segs.names[0]!;
    const path = join(segs.dir, name);
    state.mode = 'cut';
    state.tripped = 0;
    const failed = await pgdr(server, ['wal', 'archive', '--compression', 'none', path]);
    state.mode = 'pass';
    assert.ok(state.tripped > 0, 'the upload should have been interrupted');
    assert.notEqual(failed.code, 0, failed.stderr);
    assert.match(failed.stderr, /ECONNRESET|connection/);
    const [k] = await keys(server);
    const size = async () =>
      Number(
        (await fetch(`${s3.endpoint}/${BUCKET}/${k}`, { method: 'HEAD' })).headers.get('content-length'),
      );
    const truncated = await size();
    assert.ok(truncated < (await readFile(path)).length, 's3rver kept a truncated body');
    const again = await pgdr(server, ['wal', 'archive', '--compression', 'none', path]);
    assert.equal(again.code, 20, again.stderr);
    assert.match(again.stderr, new RegExp(`${name}.*different content`));
    assert.equal(await size(), truncated);
  });
});
