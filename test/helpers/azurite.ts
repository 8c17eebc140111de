// A real Azure Blob service for tests: Azurite (the Azure Storage emulator) in a child process on 127.0.0.1, in
// memory, with an account whose key is new for every start. Azurite checks Shared Key and SAS signatures itself.
// Telemetry is off: nothing may leave the machine.
import { type ChildProcess, spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { serviceEndpoint } from '../../src/common/azure-url.js';
import { AzureHttp } from '../../src/storage/azure/azure-http.js';
import { kill } from './s3rver.js';

export interface AzuriteHandle {
  /** http://127.0.0.1:PORT/ACCOUNT: the blob service of the account. */
  readonly service: string;
  readonly port: number;
  readonly account: string;
  readonly key: string;
  /** AccountName + AccountKey + BlobEndpoint, as barman-cloud's AZURE_STORAGE_CONNECTION_STRING. */
  readonly connectionString: string;
  /** http://127.0.0.1:PORT/ACCOUNT/CONTAINER/PATH: the emulator form of objectStore.destinationPath. */
  destination(container: string, path?: string): string;
  createContainer(name: string): Promise<void>;
  /** An account SAS (read, write, list, delete on blobs and containers) valid for an hour. */
  accountSas(permissions?: string): string;
  stop(): Promise<void>;
}

const require = createRequire(import.meta.url);

export async function startAzurite(options: { containers?: readonly string[] } = {}): Promise<AzuriteHandle> {
  const account = 'pgdrtest';
  const key = randomBytes(64).toString('base64');
  const main = require.resolve('azurite/dist/src/blob/main.js');
  const child = spawn(
    process.execPath,
    [
      main,
      '--blobHost',
      '127.0.0.1',
      '--blobPort',
      '0',
      '--inMemoryPersistence',
      '--extentMemoryLimit',
      '1024',
      '--skipApiVersionCheck',
      '--disableTelemetry',
      '--silent',
    ],
    { env: { ...process.env, AZURITE_ACCOUNTS: `${account}:${key}` }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const port = await listening(child);
  child.unref();
  (child.stdout as unknown as { unref?: () => void } | null)?.unref?.();
  (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();
  const service = `http://127.0.0.1:${port}/${account}`;
  const handle: AzuriteHandle = {
    service,
    port,
    account,
    key,
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${account};AccountKey=${key};BlobEndpoint=${service};`,
    destination: (container, path = '') => `${service}/${container}${path ? `/${path}` : ''}`,
    createContainer: async (name) => {
      const http = new AzureHttp({
        endpoint: serviceEndpoint(service),
        container: name,
        credentials: { kind: 'sharedKey', account, key, source: 'test' },
        maxAttempts: 1,
        retryBaseMs: 10,
        timeouts: { connectMs: 5000, requestMs: 10_000, operationMs: 10_000 },
      });
      try {
        await http.send({
          method: 'PUT',
          query: [['restype', 'container']],
          operation: 'CreateContainer',
          what: name,
        });
      } finally {
        http.close();
      }
    },
    accountSas: (permissions = 'rwdlac') => accountSas(account, key, permissions),
    stop: () => kill(child),
  };
  for (const c of options.containers ?? []) await handle.createContainer(c);
  return handle;
}

/** An account SAS of version 2021-12-02 (its string-to-sign ends with the encryption scope and a newline). */
function accountSas(account: string, key: string, permissions: string): string {
  const expiry = new Date(Date.now() + 3600_000).toISOString().replace(/\.\d+Z$/, 'Z');
  const f = { sv: '2021-12-02', ss: 'b', srt: 'sco', sp: permissions, se: expiry, spr: 'https,http' };
  const toSign = [account, f.sp, f.ss, f.srt, '', f.se, '', f.spr, f.sv, '', ''].join('\n');
  const sig = createHmac('sha256', Buffer.from(key, 'base64')).update(toSign, 'utf8').digest('base64');
  return new URLSearchParams({ ...f, sig }).toString();
}

function listening(child: ChildProcess): Promise<number> {
  let out = '';
  return new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`azurite did not start within 30 s: ${out}`)), 30_000);
    const onData = (d: Buffer): void => {
      out += d.toString();
      const m = /successfully listens on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`azurite exited with ${code} before it was ready: ${out}`));
    });
  });
}
