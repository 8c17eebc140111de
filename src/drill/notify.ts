// Posts the drill summary to a webhook. A notification is about the drill, not part of it: its failure is
// reported next to the result and never turns a failed drill into a pass or a passed one into a fail.
export interface NotifyOptions {
  readonly url: string;
  readonly body: unknown;
  readonly timeoutMs?: number;
  /** Wait before the one retry. */
  readonly retryDelayMs?: number;
  readonly signal?: AbortSignal;
}

export interface NotifyResult {
  readonly url: string;
  readonly ok: boolean;
  readonly detail: string;
}

export async function notifyWebhook(o: NotifyOptions): Promise<NotifyResult> {
  const url = redactUrl(o.url);
  let last = '';
  for (let attempt = 1; attempt <= 2; attempt++) {
    if (attempt === 2) await sleep(o.retryDelayMs ?? 1000, o.signal);
    try {
      const signals = [AbortSignal.timeout(o.timeoutMs ?? 10_000), ...(o.signal ? [o.signal] : [])];
      const res = await fetch(o.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'pgdr-drill' },
        body: JSON.stringify(o.body),
        signal: AbortSignal.any(signals),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return { url, ok: true, detail: `HTTP ${res.status} (attempt ${attempt})` };
      last = `HTTP ${res.status} ${res.statusText}`;
    } catch (e) {
      o.signal?.throwIfAborted();
      const err = e as Error & { cause?: { message?: string } };
      last = err.cause?.message ?? err.message;
    }
  }
  return { url, ok: false, detail: `not delivered after 2 attempts: ${last}` };
}

/** Webhook URLs often carry a token in the path or query: keep scheme, host and the first path segment. */
export function redactUrl(raw: string): string {
  try {
    const u = new URL(raw);
    const first = u.pathname.split('/').filter(Boolean)[0];
    const more = u.pathname.split('/').filter(Boolean).length > 1 || u.search !== '';
    return `${u.protocol}//${u.host}/${first ?? ''}${more ? '/…' : ''}`;
  } catch {
    return '(invalid URL)';
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}
