#!/usr/bin/env node
// The executable: wires the process (argv, streams, signals) to main() and sets the exit code.
import { PgdrError } from '../errors.js';
import { type CliContext, main, reportError } from './main.js';

async function entry(): Promise<void> {
  const controller = new AbortController();
  const onSignal = () => controller.abort(new PgdrError('ABORTED', 'interrupted by a signal'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const ctx: CliContext = {
    stdout: process.stdout,
    stderr: process.stderr,
    isTTY: Boolean(process.stdout.isTTY),
    env: process.env,
    cwd: process.cwd(),
    signal: controller.signal,
  };
  let code: number;
  try {
    code = await main(process.argv.slice(2), ctx);
  } catch (e) {
    code = reportError(e, ctx, process.env);
  }
  process.exitCode = code;
}

await entry();
