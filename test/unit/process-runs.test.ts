// processRuns: a process that exited but was never reaped (a zombie) still answers kill(pid, 0); pgdr must take
// it for gone, or a killed WAL service looks healthy until its heartbeat goes stale.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { processRuns } from '../../src/common/process-runs.js';

/** The state letter in /proc/PID/stat (R, S, Z...). */
const state = (pid: number) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.charAt(stat.lastIndexOf(')') + 2);
};

describe('processRuns', () => {
  it('is true for a running process, false for one that exited unreaped and for a pid nobody has', async () => {
    // sh starts a child, then becomes a sleep that never waits for it: the child, once killed, stays a zombie.
    const parent = spawn('sh', ['-c', 'sleep 600 & echo $!; exec sleep 600'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    try {
      const pid = Number(await new Promise<string>((r) => parent.stdout.once('data', (d) => r(String(d)))));
      assert.ok(pid > 0);
      assert.equal(processRuns(pid), true);
      assert.equal(processRuns(process.pid), true);
      process.kill(pid, 'SIGKILL');
      for (let i = 0; i < 500 && state(pid) !== 'Z'; i++) await sleep(10);
      assert.equal(state(pid), 'Z');
      // kill(pid, 0) alone takes the zombie for a running process.
      assert.doesNotThrow(() => process.kill(pid, 0));
      assert.equal(processRuns(pid), false);
    } finally {
      parent.kill('SIGKILL');
    }
    assert.equal(processRuns(2 ** 31 - 1), false);
  });
});
