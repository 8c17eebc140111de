// A data check: one SQL statement returning one value, and what that value must be.
import type { CompareMode, Expectation } from './expectation.js';

export interface DataCheck {
  readonly name: string;
  readonly sql: string;
  readonly expect: Expectation;
  /** How --expect-from compares with a captured value (default: atLeast for counts and times, else equal). */
  readonly compare?: CompareMode | undefined;
  /** What an unmet expectation counts as (default fail). */
  readonly severity?: 'fail' | 'warn' | undefined;
  /** Hint shown when the query itself fails (e.g. a missing table). */
  readonly errorHint?: string | undefined;
}

const MASTODON_HINT =
  'is this the Mastodon database? point --connection at it (e.g. .../mastodon_production)';

/**
 * the runbook's post-recovery data check, as checks: the three counts, and the newest status as freshness. A
 * Mastodon instance always has its instance actor account; users and statuses may legitimately be 0.
 */
const MASTODON_PRESET: readonly DataCheck[] = [
  { name: 'mastodon:accounts', sql: 'SELECT count(*) FROM accounts', expect: { min: 1 } },
  { name: 'mastodon:users', sql: 'SELECT count(*) FROM users', expect: { min: 0 } },
  { name: 'mastodon:statuses', sql: 'SELECT count(*) FROM statuses', expect: { min: 0 } },
  {
    name: 'mastodon:newest-status',
    // The session runs in UTC, so a Rails `timestamp without time zone` (UTC by convention) converts exactly.
    sql: 'SELECT max(created_at)::timestamptz FROM statuses',
    expect: {},
  },
].map((c) => ({ ...c, errorHint: MASTODON_HINT }));

export const PRESETS: Readonly<Record<string, readonly DataCheck[]>> = { mastodon: MASTODON_PRESET };
