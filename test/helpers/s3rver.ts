// A real S3 API for tests: s3rver in a child process on 127.0.0.1, with a fresh data folder. Being a separate
// process, it can be killed to simulate an outage and restarted on the same port with the same data.
// The child (s3rver-child.ts) also verifies SigV4 signatures, which s3rver itself does not.
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface S3rverOptions {
  /** Buckets to create before serving. */
  readonly buckets?: readonly string[];
  /** Check SigV4 signatures (default true). */
  readonly verifySignatures?: boolean;
}

export interface S3rverHandle {
  /** http://127.0.0.1:PORT */
  readonly endpoint: string;
  readonly port: number;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** The data folder (s3rver's layout: one folder per bucket). */
  readonly dir: string;
  /** Kills the server; removes the data folder unless keepData (then restart() can bring it back). */
  stop(options?: { keepData?: boolean }): Promise<void>;
  /** Starts it again on the same port with the same data (stopping it first if it runs). */
  restart(): Promise<void>;
  /** The next `count` requests get `status` (default 503 SlowDown) without reaching s3rver. */
  injectFailures(count: number, status?: number): void;
  /** Accepts these (temporary) keys from now on; with a session token, only together with it. */
  addKeys(keys: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }): Promise<void>;
  /** Requests signed with this key id get 400 ExpiredToken from now on. */
  expireKeys(accessKeyId: string): void;
  /** The key id and session token of every signed request so far; `expired` when refused as expired. */
  keysUsed(): Promise<{ accessKeyId: string; sessionToken: string | undefined; expired?: true }[]>;
}

export async function startS3rver(options: S3rverOptions = {}): Promise<S3rverHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'pgdr-s3rver-'));
  const config = {
    dir,
    port: 0,
    buckets: [...(options.buckets ?? [])],
    accessKeyId: 'PGDRTEST',
    secretAccessKey: `pgdr-test-secret-${randomBytes(8).toString('hex')}`,
    verifySignatures: options.verifySignatures ?? true,
  };
  const first = await start(config);
  let child: ChildProcess | undefined = first.child;
  let port = first.port;
  const stop = async ({ keepData = false }: { keepData?: boolean } = {}): Promise<void> => {
    if (child) await kill(child);
    child = undefined;
    if (!keepData) rmSync(dir, { recursive: true, force: true });
  };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    accessKeyId: config.accessKeyId,
    secretAccessKey: config.secretAccessKey,
    dir,
    stop,
    restart: async () => {
      if (child) await kill(child);
      child = undefined;
      ({ child, port } = await start({ ...config, port }));
    },
    injectFailures: (count, status = 503) => {
      if (!child) throw new Error('s3rver is stopped');
      child.send({ type: 'fail', count, status });
    },
    addKeys: (keys) => ask(child, { type: 'keys', ...keys }, 'keys-added').then(() => undefined),
    expireKeys: (accessKeyId) => child?.send({ type: 'expire', accessKeyId }),
    keysUsed: async () => ((await ask(child, { type: 'used' }, 'used')) as { used: [] }).used,
  };
}

async function start(config: { port: number }): Promise<{ child: ChildProcess; port: number }> {
  const script = new URL('./s3rver-child.js', import.meta.url);
  // s3rver encrypts its list continuation tokens with DES, which OpenSSL 3 only offers in the legacy provider.
  const child = fork(script, [JSON.stringify(config)], {
    execArgv: ['--openssl-legacy-provider'],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`s3rver did not start within 15 s: ${stderr}`)), 15_000);
    child.once('message', (m: { type: string; port: number }) => {
      clearTimeout(timer);
      resolve(m.port);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`s3rver exited with ${code} before it was ready: ${stderr}`));
    });
  });
  // A test that forgets stop() must still end: nothing of the child keeps this process alive.
  child.unref();
  child.channel?.unref();
  (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();
  return { child, port };
}

/** Sends a message to the child and waits for its answer of type `reply`. */
function ask(child: ChildProcess | undefined, message: object, reply: string): Promise<unknown> {
  if (!child) return Promise.reject(new Error('s3rver is stopped'));
  return new Promise((resolve) => {
    const on = (m: { type: string }) => {
      if (m.type !== reply) return;
      child.off('message', on);
      resolve(m);
    };
    child.on('message', on);
    child.send(message);
  });
}

/** Ends a test server child at once (SIGKILL) and waits for it; also for other servers' helpers. */
export function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.ref();
    child.once('exit', () => resolve());
    // SIGKILL: an outage does not let the server finish what it was doing.
    child.kill('SIGKILL');
  });
}
