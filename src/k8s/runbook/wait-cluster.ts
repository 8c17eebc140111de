// Waits for a Cluster to become ready by polling its status (a watch would save little at one poll every few
// seconds, and polling survives API server restarts and proxies that cut long requests).
import { PgdrError } from '../../errors.js';
import { describeRef, type KubeApi, type ObjectRef } from '../api/kube-api.js';
import { type ClusterState, clusterState, isReady, stateLine } from '../cluster-state.js';
import type { RunbookContext } from './runbook.js';

export interface WaitOptions {
  readonly timeoutMs: number;
  readonly pollMs: number;
  /** Called whenever the state line changes (the progress display). */
  readonly onChange?: (line: string, s: ClusterState, elapsedMs: number) => void;
  /** Checked on every poll: a state that will not heal by waiting (e.g. the archive check failed). */
  readonly hopeless?: (s: ClusterState) => PgdrError | undefined;
  readonly signal?: AbortSignal | undefined;
  /** What counts as done (default: ready); `what` names it in the timeout message. */
  readonly until?: { readonly test: (s: ClusterState) => boolean; readonly what: string } | undefined;
}

async function waitForCluster(api: KubeApi, r: ObjectRef, o: WaitOptions): Promise<ClusterState> {
  const t0 = Date.now();
  let last = '';
  let state: ClusterState | undefined;
  for (;;) {
    const c = await api.get(r, { signal: o.signal });
    if (!c)
      throw new PgdrError('NOT_FOUND', `${describeRef(r)} disappeared while waiting for it`, {
        hint: 'someone (or something) deleted it: look at the operator logs',
      });
    state = clusterState(c);
    const line = stateLine(state);
    if (line !== last) o.onChange?.(line, state, Date.now() - t0);
    last = line;
    if ((o.until?.test ?? isReady)(state)) return state;
    const bad = o.hopeless?.(state);
    if (bad) throw bad;
    if (Date.now() - t0 >= o.timeoutMs)
      throw new PgdrError(
        'K8S_TIMEOUT',
        `${describeRef(r)} not ${o.until?.what ?? 'ready'} after ${Math.round(o.timeoutMs / 1000)} s: ${line}`,
        {
          hint: `pgdr k8s status diagnoses it; kubectl logs ${r.name}-1-full-recovery -n ${r.namespace} (the recovery job) and ${r.name}-1 -c postgres`,
          details: { phase: state.phase, readyInstances: state.readyInstances },
        },
      );
    await sleep(Math.min(o.pollMs, Math.max(0, o.timeoutMs - (Date.now() - t0))), o.signal);
  }
}

/** waitForCluster inside a runbook step: its context's API and signal, each change a progress line. */
export function waitInStep(
  ctx: RunbookContext,
  r: ObjectRef,
  o: Pick<WaitOptions, 'timeoutMs' | 'pollMs' | 'hopeless' | 'until'>,
): Promise<ClusterState> {
  return waitForCluster(ctx.api, r, {
    ...o,
    signal: ctx.signal,
    onChange: (line, _s, ms) => ctx.progress(`${(ms / 1000).toFixed(1).padStart(6)} s  ${line}`),
  });
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new PgdrError('ABORTED', 'interrupted while waiting'));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new PgdrError('ABORTED', 'interrupted while waiting'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
