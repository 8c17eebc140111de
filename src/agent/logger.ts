// Structured logs on stdout: one JSON object per line for journald / kubectl logs and log shippers, or a
// readable line when a person watches a terminal. Fields never hold secrets (the config's are resolved apart).
import type { Writable } from 'node:stream';

type Level = 'info' | 'warn' | 'error';

export interface Logger {
  log(level: Level, event: string, msg: string, fields?: Record<string, unknown>): void;
}

export function createLogger(o: { readonly out: Writable; readonly pretty: boolean }): Logger {
  return {
    log(level, event, msg, fields = {}) {
      const time = new Date().toISOString();
      if (!o.pretty) {
        o.out.write(`${JSON.stringify({ time, level, event, msg, ...fields })}\n`);
        return;
      }
      const extra = Object.entries(fields)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(' ');
      o.out.write(`${time.slice(0, 19)}Z ${level.padEnd(5)} ${msg}${extra ? `  ${extra}` : ''}\n`);
    },
  };
}
