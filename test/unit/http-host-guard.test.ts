// The agent's HTTP endpoints check the Host header as `pgdr serve` does (the same http/host-guard.ts): on a
// loopback bind a request naming another host (DNS rebinding) gets 421 and no state.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { type HttpHandle, startHttp } from '../../src/agent/http-server.js';
import { hostHeaderAllowed, isLoopbackHost } from '../../src/http/host-guard.js';

function get(address: string, path: string, host?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `http://${address}${path}`,
      host === undefined ? {} : { headers: { host } },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => {
          body += d.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('Host header check', () => {
  let agent: HttpHandle;
  before(async () => {
    agent = await startHttp({
      host: '127.0.0.1',
      port: 0,
      state: () => ({ serverName: 'db', lastBackup: null }),
      healthy: () => true,
    });
  });
  after(() => agent.close());

  it('the agent on a loopback address answers loopback names and refuses any other with 421', async () => {
    const port = agent.address.split(':')[1];
    for (const host of [undefined, `127.0.0.1:${port}`, `localhost:${port}`, 'LOCALHOST']) {
      const r = await get(agent.address, '/state', host);
      assert.equal(r.status, 200, String(host));
      assert.equal(JSON.parse(r.body).serverName, 'db');
    }
    for (const host of ['attacker.example', `attacker.example:${port}`, '127.0.0.1.nip.io']) {
      for (const path of ['/state', '/healthz']) {
        const r = await get(agent.address, path, host);
        assert.equal(r.status, 421, `${host} ${path}`);
        assert.ok(!r.body.includes('db'), r.body);
      }
    }
  });

  it('is one rule: loopback binds check, other binds cannot know their names and do not', () => {
    assert.ok(isLoopbackHost('127.0.0.1') && isLoopbackHost('::1') && isLoopbackHost('[::1]'));
    assert.ok(!isLoopbackHost('0.0.0.0') && !isLoopbackHost('::') && !isLoopbackHost('db.example'));
    assert.equal(hostHeaderAllowed('127.0.0.1', '[::1]:8080'), true);
    assert.equal(hostHeaderAllowed('127.0.0.1', 'evil.example:8080'), false);
    assert.equal(hostHeaderAllowed('127.0.0.1', undefined), false);
    assert.equal(hostHeaderAllowed('0.0.0.0', 'db.example:8080'), true);
  });
});
