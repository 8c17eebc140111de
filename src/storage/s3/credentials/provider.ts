// The keys an S3 request is signed with. Static keys are handed out as they are. Keys from the credential chain
// are cached in memory (never written anywhere) and fetched again before they expire: a request always signs
// with keys that stay valid for the refresh margin, and concurrent requests that find them due share one fetch.
// The chain's code is loaded only when a chain is used: `wal archive` with static keys never pays for it.
import type { AwsCredentialChain, S3Credentials } from '../../../config/types.js';
import type { AwsKeys, ResolvedKeys } from './keys.js';

export interface CredentialProvider {
  /** Keys to sign a request with now. */
  current(signal?: AbortSignal): Promise<AwsKeys>;
  /** Where the keys came from ("web identity role arn:..."); undefined before the first resolution. */
  source(): string | undefined;
  /** Every secret and session token handed out so far, to cut out of any message. */
  secrets(): string[];
  /** The store refused these keys as expired: the next current() fetches new ones. */
  invalidate(keys: AwsKeys): void;
  /** Whether invalidate() can lead to other keys (a chain), or the keys are fixed. */
  readonly refreshable: boolean;
}

const MAX_MARGIN_MS = 5 * 60_000;

/** How long before expiry keys are replaced: 5 minutes, or a quarter of their life for short-lived ones. */
export function refreshMarginMs(obtainedAt: number, expiration: number): number {
  return Math.min(MAX_MARGIN_MS, Math.max(0, (expiration - obtainedAt) / 4));
}

function staticProvider(c: S3Credentials): CredentialProvider {
  const keys: AwsKeys = c;
  return {
    current: async () => keys,
    source: () => (c.source ? `static keys from ${c.source}` : 'static keys'),
    secrets: () => [c.secretAccessKey, c.sessionToken].filter((s): s is string => !!s),
    invalidate: () => undefined,
    refreshable: false,
  };
}

type Resolver = (chain: AwsCredentialChain, signal?: AbortSignal) => Promise<ResolvedKeys>;

export class ChainProvider implements CredentialProvider {
  readonly refreshable = true;
  private cached: { resolved: ResolvedKeys; obtainedAt: number } | undefined;
  private inflight: Promise<ResolvedKeys> | undefined;
  private readonly seen = new Set<string>();

  constructor(
    private readonly chain: AwsCredentialChain,
    private readonly resolver?: Resolver,
    private readonly now: () => number = Date.now,
  ) {}

  async current(signal?: AbortSignal): Promise<AwsKeys> {
    const c = this.cached;
    const exp = c?.resolved.keys.expiration?.getTime();
    if (c !== undefined && (exp === undefined || this.now() < exp - refreshMarginMs(c.obtainedAt, exp)))
      return c.resolved.keys;
    try {
      return (await this.refresh(signal)).keys;
    } catch (e) {
      // Keys that are due but not yet expired still sign: a refresh that failed once is tried again next time.
      if (c !== undefined && exp !== undefined && this.now() < exp) return c.resolved.keys;
      throw e;
    }
  }

  source(): string | undefined {
    return this.cached?.resolved.source;
  }

  secrets(): string[] {
    return [...this.seen];
  }

  invalidate(keys: AwsKeys): void {
    if (this.cached?.resolved.keys === keys) this.cached = undefined;
  }

  private async refresh(signal?: AbortSignal): Promise<ResolvedKeys> {
    if (this.inflight === undefined) {
      const started = this.now();
      // Not the caller's signal: the fetch is shared, and every source has its own deadline.
      this.inflight = this.resolve()
        .then((resolved) => {
          this.cached = { resolved, obtainedAt: started };
          for (const s of [resolved.keys.secretAccessKey, resolved.keys.sessionToken])
            if (s) this.seen.add(s);
          return resolved;
        })
        .finally(() => {
          this.inflight = undefined;
        });
    }
    const pending = this.inflight;
    if (signal === undefined) return pending;
    signal.throwIfAborted();
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      pending.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  private async resolve(): Promise<ResolvedKeys> {
    if (this.resolver) return this.resolver(this.chain);
    const { resolveChain } = await import('./chain.js');
    return resolveChain(this.chain);
  }
}

/** One provider per configured chain, so every store of a long-running process shares the cached keys. */
const providers = new WeakMap<AwsCredentialChain, ChainProvider>();

export function credentialProvider(
  credentials: S3Credentials | undefined,
  chain: AwsCredentialChain | undefined,
): CredentialProvider | undefined {
  if (credentials !== undefined) return staticProvider(credentials);
  if (chain === undefined) return undefined;
  let p = providers.get(chain);
  if (p === undefined) {
    p = new ChainProvider(chain);
    providers.set(chain, p);
  }
  return p;
}
