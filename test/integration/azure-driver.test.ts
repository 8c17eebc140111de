// The Azure driver against Azurite where things go wrong: a stalled endpoint (test/helpers/fault-proxy.ts), a
// wrong key or SAS (Azurite checks signatures), a missing container; and `pgdr check` naming the credential
// source. No key, SAS or connection string appears in any error or output.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { serviceEndpoint } from '../../src/common/azure-url.js';
import type { StoreTimeouts } from '../../src/config/types.js';
import { isPgdrError, type PgdrError } from '../../src/errors.js';
import { AzureHttp } from '../../src/storage/azure/azure-http.js';
import { AzureObjectStore } from '../../src/storage/azure/azure-store.js';
import { putBuffer, putStream } from '../../src/storage/azure/azure-upload.js';
import { type AzuriteHandle, startAzurite } from '../helpers/azurite.js';
import { caught } from '../helpers/caught.js';
import { runPgdr } from '../helpers/cli.js';
import { type FaultProxy, startFaultProxy } from '../helpers/fault-proxy.js';

const CONTAINER = 'drivertest';
const MIB = 1024 * 1024;
let azurite: AzuriteHandle;
let proxy: FaultProxy;
const stores: AzureObjectStore[] = [];

before(async () => {
  azurite = await startAzurite({ containers: [CONTAINER] });
  proxy = await startFaultProxy(azurite.port);
});
after(async () => {
  for (const s of stores) await s.close();
  await proxy?.close();
  await azurite?.stop();
});

function open(
  o: {
    service?: string;
    container?: string;
    key?: string;
    sas?: string;
    timeouts?: Partial<StoreTimeouts>;
    maxAttempts?: number;
  } = {},
): AzureObjectStore {
  const credentials =
    o.sas !== undefined
      ? { kind: 'sas' as const, sasToken: o.sas, source: 'test SAS' }
      : {
          kind: 'sharedKey' as const,
          account: azurite.account,
          key: o.key ?? azurite.key,
          source: 'test key',
        };
  const store = new AzureObjectStore({
    service: o.service ?? azurite.service,
    container: o.container ?? CONTAINER,
    prefix: 'p',
    credentials,
    retryBaseMs: 20,
    ...(o.timeouts ? { timeouts: o.timeouts } : {}),
    ...(o.maxAttempts ? { maxAttempts: o.maxAttempts } : {}),
  });
  stores.push(store);
  return store;
}

function visible(e: PgdrError): string {
  return JSON.stringify({ m: e.message, h: e.hint, d: e.details, c: String(e.cause), s: e.stack });
}

describe('Azure driver failures', () => {
  it('a stalled endpoint: each call ends with STORE_UNREACHABLE naming the call, the blob and the deadline', async () => {
    await open().put('obj/small.txt', Buffer.from('small'));
    proxy.setRules([{ action: { kind: 'stall' } }]);
    try {
      const store = open({
        service: `${proxy.endpoint}/${azurite.account}`,
        timeouts: { requestMs: 500 },
        maxAttempts: 2,
      });
      const calls: Array<[string, string, () => Promise<unknown>]> = [
        ['ListBlobs', 'p/obj/', () => store.list('obj/')],
        ['GetBlob', 'obj/small.txt', () => store.getBuffer('obj/small.txt')],
        ['GetBlob', 'obj/small.txt', () => store.get('obj/small.txt')],
        ['GetBlobProperties', 'obj/small.txt', () => store.head('obj/small.txt')],
        ['PutBlob', 'obj/new.txt', () => store.put('obj/new.txt', Buffer.from('new'))],
        ['DeleteBlob', 'obj/small.txt', () => store.delete(['obj/small.txt'])],
      ];
      for (const [operation, key, call] of calls) {
        const e = await caught(call());
        assert.equal(e.code, 'STORE_UNREACHABLE', `${operation}: ${e.message}`);
        assert.ok(e.message.startsWith(`${operation} on `), e.message);
        assert.ok(e.message.includes(key), e.message);
        assert.match(
          e.message,
          /no answer from http:\/\/127\.0\.0\.1:\d+\/pgdrtest within 0\.5 s \(objectStore\.timeouts\.request\), after 2 attempts/,
        );
        assert.match(e.hint ?? '', /raise objectStore\.timeouts\.request/);
      }
    } finally {
      proxy.setRules([]);
    }
    assert.equal(
      (await open().getBuffer('obj/small.txt')).toString(),
      'small',
      'the stalled delete changed nothing',
    );
  });

  it('a wrong key is STORE_AUTH and never shows either key', async () => {
    const wrong = randomBytes(64).toString('base64');
    const e = await caught(open({ key: wrong }).checkAccess());
    assert.ok(isPgdrError(e, 'STORE_AUTH'), e.message);
    assert.match(e.message, /ListBlobs on .* was refused \(AuthorizationFailure|AuthenticationFailed/);
    assert.match(e.hint ?? '', /azureCredentials/);
    for (const s of [wrong, azurite.key]) assert.ok(!visible(e).includes(s));
  });

  it('a SAS with a wrong signature, or without write permission, is STORE_AUTH and never shows the token', async () => {
    const good = azurite.accountSas();
    const bad = good.replace(/sig=[^&]+/, `sig=${encodeURIComponent(randomBytes(32).toString('base64'))}`);
    const e = await caught(open({ sas: bad }).put('obj/x', Buffer.from('x')));
    assert.ok(isPgdrError(e, 'STORE_AUTH'), e.message);
    const sig = new URLSearchParams(bad).get('sig') ?? '';
    for (const s of [bad, sig, encodeURIComponent(sig)]) assert.ok(!visible(e).includes(s));
    const readOnly = await caught(open({ sas: azurite.accountSas('rl') }).put('obj/x', Buffer.from('x')));
    assert.ok(isPgdrError(readOnly, 'STORE_AUTH'), readOnly.message);
    await open({ sas: azurite.accountSas('rl') }).checkAccess();
  });

  it('a missing container is BUCKET_MISSING for checkAccess, list and head', async () => {
    const store = open({ container: 'no-such-container' });
    for (const call of [() => store.checkAccess(), () => store.list(''), () => store.head('x')]) {
      const e = await caught(call());
      assert.ok(isPgdrError(e, 'BUCKET_MISSING'), e.message);
      assert.match(
        e.message,
        /the container no-such-container does not exist at http:\/\/127\.0\.0\.1:\d+\/pgdrtest/,
      );
    }
  });
});

describe('Azure conditional writes', () => {
  it('ifAbsent is enforced by the service (If-None-Match: *), not only by the check before the upload', async () => {
    const http = new AzureHttp({
      endpoint: serviceEndpoint(azurite.service),
      container: CONTAINER,
      credentials: { kind: 'sharedKey', account: azurite.account, key: azurite.key, source: 'test' },
      maxAttempts: 1,
      retryBaseMs: 10,
      timeouts: { connectMs: 5000, requestMs: 10_000, operationMs: 10_000 },
    });
    try {
      const o = {
        http,
        key: 'p/race/k',
        what: 'race/k',
        partSize: MIB,
        queueSize: 2,
        ifAbsent: true,
        signal: undefined,
      };
      await putBuffer(o, Buffer.from('first'));
      assert.ok(isPgdrError(await caught(putBuffer(o, Buffer.from('second'))), 'CONFLICT'));
      const blocks = Readable.from([randomBytes(3 * MIB)]);
      assert.ok(isPgdrError(await caught(putStream(o, blocks)), 'CONFLICT'));
      assert.equal((await open().getBuffer('race/k')).toString(), 'first');
    } finally {
      http.close();
    }
  });
});

describe('pgdr check on Azure', () => {
  const args = (server: string) => [
    'check',
    '--destination-path',
    azurite.destination(CONTAINER, 'cnpg'),
    '--server-name',
    server,
  ];

  it('names the credential source it used, never the connection string', async () => {
    const env = { AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString };
    const text = await runPgdr(args('db'), { env });
    assert.match(
      text.stdout,
      /credentials .*the store accepted the credentials: connection string \(AZURE_STORAGE_CONNECTION_STRING\): shared key of storage account pgdrtest/,
    );
    const json = await runPgdr([...args('db'), '--format', 'json'], { env });
    const report = JSON.parse(json.stdout) as {
      checks: Array<{ name: string; status: string; finding: string }>;
    };
    const creds = report.checks.find((c) => c.name === 'credentials');
    assert.equal(creds?.status, 'pass');
    assert.match(creds?.finding ?? '', /connection string \(AZURE_STORAGE_CONNECTION_STRING\)/);
    for (const r of [text, json]) assert.ok(!`${r.stdout}${r.stderr}`.includes(azurite.key));
  });

  it('with a wrong key, the credentials check fails; no key in text or JSON output', async () => {
    const wrong = randomBytes(64).toString('base64');
    const env = { AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString.replace(azurite.key, wrong) };
    for (const format of ['table', 'json']) {
      const r = await runPgdr([...args('db'), '--format', format], { env });
      assert.equal(r.code, 51, r.stdout + r.stderr);
      assert.match(r.stdout, /credentials/);
      assert.match(r.stdout, /AuthorizationFailure|AuthenticationFailed/);
      for (const s of [wrong, azurite.key]) assert.ok(!`${r.stdout}${r.stderr}`.includes(s));
    }
    const shown = await runPgdr(['config', 'show', ...args('db').slice(1)], { env });
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(
      shown.stdout,
      /azureCredentials:\n {4}from: "connection string \(AZURE_STORAGE_CONNECTION_STRING\): shared key of storage account pgdrtest" # env AZURE_STORAGE_CONNECTION_STRING/,
    );
    assert.ok(!`${shown.stdout}${shown.stderr}`.includes(wrong));
  });
});
