// Runs `pgdr agent` as a real process (the built CLI) and collects its JSON log lines as they come.
import { type ChildProcess, spawn } from 'node:child_process';
import { PGDR_BIN, PGDR_COMMAND_ENV } from './cli.js';

export interface AgentEvent {
  readonly time: string;
  readonly level: string;
  readonly event: string;
  readonly msg: string;
  readonly [field: string]: unknown;
}

export interface AgentProcess {
  readonly child: ChildProcess;
  readonly events: AgentEvent[];
  readonly stderr: () => string;
  /** Resolves with the first event (after `from` events) that matches. */
  waitFor(pred: (e: AgentEvent) => boolean, o?: { timeoutMs?: number; from?: number }): Promise<AgentEvent>;
  /** Resolves with the exit code once the process ended. */
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function startAgent(configFile: string, env: NodeJS.ProcessEnv): AgentProcess {
  const child = spawn(process.execPath, [PGDR_BIN, 'agent', '--config', configFile], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...PGDR_COMMAND_ENV, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const events: AgentEvent[] = [];
  const waiters = new Set<() => void>();
  let buf = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl = buf.indexOf('\n');
    while (nl >= 0) {
      const text = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      nl = buf.indexOf('\n');
      events.push(JSON.parse(text) as AgentEvent);
    }
    for (const w of waiters) w();
  });
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  const waitFor: AgentProcess['waitFor'] = (pred, o = {}) =>
    new Promise((resolve, reject) => {
      const check = () => {
        const hit = events.slice(o.from ?? 0).find(pred);
        if (!hit) return false;
        done();
        resolve(hit);
        return true;
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(
            `agent event not seen in time; events: ${events.map((e) => e.event).join(', ')}; stderr: ${err}`,
          ),
        );
      }, o.timeoutMs ?? 120_000);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(onData);
      };
      const onData = () => void check();
      if (check()) return;
      waiters.add(onData);
      void exited.then(() => {
        if (!check()) {
          done();
          reject(new Error(`agent exited; events: ${events.map((e) => e.event).join(', ')}; stderr: ${err}`));
        }
      });
    });
  return {
    child,
    events,
    stderr: () => err,
    waitFor,
    exited,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
