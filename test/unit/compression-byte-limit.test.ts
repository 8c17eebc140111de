// decompressBounded's stream keeps an early failure for a reader that attaches late (after awaiting its own
// file open), instead of throwing it as an unhandled 'error' event that ends the process.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { decompressBounded } from '../../src/compression/byte-limit.js';

it('an error before the reader attaches reaches the reader', async () => {
  const out = decompressBounded(Readable.from([Buffer.from('this is not gzip data')]), 'gzip', {
    max: 100,
    error: (reason) => new Error(`damaged: ${reason}`),
  });
  await sleep(50);
  await assert.rejects(
    (async () => {
      for await (const _ of out) void _;
    })(),
    /damaged: it cannot be decompressed as gzip/,
  );
});
