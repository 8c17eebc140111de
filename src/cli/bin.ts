#!/usr/bin/env node
// The executable: wires the process (argv, streams, signals) to main() and sets the exit code.
// Only the Node version check is imported up front: a static import of main.js would load the whole CLI
// before the check could run.
import type { CliContext } from './main.js';
import { MIN_NODE_MAJOR, nodeTooOld } from './node-version.js';
import type { Out } from './output.js';

const out: Out = { stdout: process.stdout, stderr: process.stderr, isTTY: Boolean(process.stdout.isTTY) };

async function refuseOldNode(message: string): Promise<void> {
  const { PgdrError } = await import('../errors.js');
  const { printJsonError, wantsJson } = await import('./json-error.js');
  const e = new PgdrError('USAGE', message, {
    hint: `install Node.js ${MIN_NODE_MAJOR} or newer (nodejs.org, or your distribution's nodejs package if it is that new); bin/pgdr runs the node that PGDR_NODE names, else node on PATH`,
  });
  if (wantsJson(process.argv.slice(2))) printJsonError(out, e);
  out.stderr.write(`pgdr: error: ${e.message}\nhint: ${e.hint}\n`);
  process.exitCode = e.exitCode;
}

async function entry(): Promise<void> {
  const { PgdrError } = await import('../errors.js');
  const { main, reportError } = await import('./main.js');
  const controller = new AbortController();
  const onSignal = () => controller.abort(new PgdrError('ABORTED', 'interrupted by a signal'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // `pgdr demo | head` closes the pipe early: stop as on Ctrl-C, so every server started is stopped, instead of
  // dying on the write error with servers left running.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e;
      if (!controller.signal.aborted) controller.abort(new PgdrError('ABORTED', 'the output was closed'));
    });
  }
  const ctx: CliContext = { ...out, env: process.env, cwd: process.cwd(), signal: controller.signal };
  let code: number;
  try {
    code = await main(process.argv.slice(2), ctx);
  } catch (e) {
    code = reportError(e, ctx, process.env);
  }
  process.exitCode = code;
}

const tooOld = nodeTooOld(process.version);
if (tooOld === undefined) await entry();
else await refuseOldNode(tooOld);
