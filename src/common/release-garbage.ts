// A long-running process (serve, the agent's /metrics) reads a whole catalog on each refresh: at 100,000 WAL
// objects that is a few hundred MB of short-lived objects, most of which outlive V8's young generation and pile
// up in the old one until its growth heuristic fires, so the resident size climbs far above what is live.
// A full collection after each refresh keeps the process near its live size. V8 only exposes gc() to code
// compiled after --expose-gc is set, hence the fresh vm context; a node that refuses the flag just skips it.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | null | undefined;

export function releaseGarbage(): void {
  if (gc === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      const fn: unknown = runInNewContext('gc');
      gc = typeof fn === 'function' ? (fn as () => void) : null;
    } catch {
      gc = null;
    }
  }
  gc?.();
}
