// A guard for parsers that must not hang: synchronous code cannot be interrupted in the test's own thread (a
// node:test timeout only fires once it returns), so the call runs in a worker that is stopped at the deadline.
// The deadline is a hang detector, not a speed check: keep it far above the time the call normally takes.
import { Worker } from 'node:worker_threads';

/**
 * Calls `exported(...args)` from the ES module at `moduleUrl` in a worker thread and resolves with its result
 * (as JSON-safe data), or rejects when it throws or has not returned after `seconds`.
 */
export async function callWithin(
  seconds: number,
  moduleUrl: URL,
  exported: string,
  args: readonly unknown[],
): Promise<unknown> {
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    import(workerData.url).then((m) => {
      const out = m[workerData.exported](...workerData.args);
      parentPort.postMessage(JSON.parse(JSON.stringify(out, (_k, v) => (typeof v === 'bigint' ? String(v) : v))));
    });`;
  const worker = new Worker(source, {
    eval: true,
    workerData: { url: moduleUrl.href, exported, args },
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    return await new Promise((resolve, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${exported} did not return within ${seconds} s: it hangs`)),
        seconds * 1000,
      );
      worker.once('message', resolve);
      worker.once('error', reject);
    });
  } finally {
    clearTimeout(timer);
    await worker.terminate();
  }
}
