// AttemptWatch: a request whose 'finish' comes after its answer was taken and the attempt released (a large
// upload answered as its last bytes leave) arms no timer: one would keep `pgdr wal archive` alive, its work
// done, until the request deadline passed.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { ClientRequest } from 'node:http';
import { describe, it, mock } from 'node:test';
import { AttemptWatch, DeadlineExceeded } from '../../src/storage/s3/s3-deadline.js';

const LIMITS = { connectMs: 1000, requestMs: 60_000, operationLeftMs: 600_000, operationMs: 600_000 };

/** The parts of a ClientRequest AttemptWatch uses; records what destroyed it. */
function fakeRequest(): { req: ClientRequest; destroyed: unknown[] } {
  const destroyed: unknown[] = [];
  const e = new EventEmitter() as EventEmitter & { setTimeout: () => void; destroy: (err: unknown) => void };
  e.setTimeout = () => {};
  e.destroy = (err) => destroyed.push(err);
  return { req: e as unknown as ClientRequest, destroyed };
}

describe('AttemptWatch', () => {
  it('arms the request deadline once the request is sent, and cuts it when the deadline passes', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const { req, destroyed } = fakeRequest();
      new AttemptWatch(LIMITS).watch(req);
      req.emit('finish');
      mock.timers.tick(LIMITS.requestMs + 1);
      assert.equal(destroyed.length, 1);
      assert.ok(destroyed[0] instanceof DeadlineExceeded);
      assert.equal((destroyed[0] as DeadlineExceeded).deadline, 'request');
    } finally {
      mock.timers.reset();
    }
  });

  it("arms nothing for a 'finish' that comes after the attempt was released", () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const { req, destroyed } = fakeRequest();
      const watch = new AttemptWatch(LIMITS);
      watch.watch(req);
      req.emit('response', new EventEmitter());
      watch.release();
      req.emit('finish');
      mock.timers.tick(LIMITS.operationLeftMs + 1);
      assert.deepEqual(destroyed, []);
    } finally {
      mock.timers.reset();
    }
  });
});
