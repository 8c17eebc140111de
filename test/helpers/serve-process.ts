// Runs `pgdr serve` as a real process (the built CLI) and hands back the URL it printed once listening.
import { type ChildProcess, spawn } from 'node:child_process';
import { PGDR_BIN } from './cli.js';

export interface ServeProcess {
  readonly child: ChildProcess;
  /** http://127.0.0.1:PORT/ */
  readonly url: string;
  readonly output: () => string;
  /** Sends the signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startServe(args: readonly string[], env: NodeJS.ProcessEnv): Promise<ServeProcess> {
  const child = spawn(process.execPath, [PGDR_BIN, 'serve', '--port', '0', ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`pgdr serve did not start: ${out}`)), 30_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      // The text line, or the JSON one of --format json.
      const m = /pgdr serve: (http:\/\/\S+\/)|"url":"(http:\/\/[^"]+\/)"/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve((m[1] ?? m[2])!);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    void exited.then((c) => {
      clearTimeout(timer);
      reject(new Error(`pgdr serve exited ${c} before listening: ${out}`));
    });
  });
  return {
    child,
    url,
    output: () => out,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
