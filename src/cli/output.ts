// Rendering helpers shared by commands: JSON and lines here, tables, ages and sizes from common/text-format.ts.
import type { Writable } from 'node:stream';

export { age, isoSeconds, table } from '../common/text-format.js';
/** Sizes as progress shows them too (src/progress/format.ts). */
export { bytes } from '../progress/format.js';

export interface Out {
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly isTTY: boolean;
}

export function line(out: Out, text = ''): void {
  out.stdout.write(`${text}\n`);
}

export function json(out: Out, value: unknown): void {
  out.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
