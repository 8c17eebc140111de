// Three checks from one checkAccess: its error code tells how far the request got (connection, signature,
// bucket), so each failure lands on the check that names its cause and the checks after it are skipped.
import { isPgdrError } from '../errors.js';
import type { ObjectStore } from '../storage/object-store.js';
import { type CheckResult, oneLine, skipped } from './check-result.js';

const NAMES = ['store-reachable', 'credentials', 'bucket'] as const;

export async function accessChecks(
  store: ObjectStore,
  signal?: AbortSignal,
): Promise<{ ok: boolean; checks: CheckResult[] }> {
  const t0 = performance.now();
  let failedAt = -1;
  let finding = '';
  let hint = '';
  try {
    await store.checkAccess({ signal });
  } catch (e) {
    signal?.throwIfAborted();
    failedAt = isPgdrError(e, 'STORE_AUTH') ? 1 : isPgdrError(e, 'BUCKET_MISSING') ? 2 : 0;
    finding = oneLine((e as Error).message);
    hint = isPgdrError(e) ? (e.hint ?? '') : '';
  }
  const durationMs = Math.round(performance.now() - t0);
  const passed: Record<(typeof NAMES)[number], string> = {
    'store-reachable': `${store.displayUrl} answers`,
    credentials: store.credentialSource
      ? `the store accepted the credentials: ${store.credentialSource}`
      : 'the store accepted the credentials',
    bucket: `${store.displayUrl} exists and can be listed`,
  };
  const checks = NAMES.map((name, i): CheckResult => {
    if (failedAt === -1 || i < failedAt) {
      return { name, status: 'pass', finding: passed[name], hint: '', durationMs: i === 0 ? durationMs : 0 };
    }
    if (i === failedAt) return { name, status: 'fail', finding, hint, durationMs };
    return skipped(name, `not run: ${NAMES[failedAt]} failed`);
  });
  return { ok: failedAt === -1, checks };
}
