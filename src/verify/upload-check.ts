// The `upload-settings` check: the store takes the encryption and tags pgdr is configured to send (a probe
// object per distinct setting, deleted again). Reported only where such settings are configured.
import type { ObjectStore } from '../storage/object-store.js';
import { type CheckResult, timed } from './check-result.js';

export async function uploadSettingsCheck(
  store: ObjectStore,
  serverName: string,
  signal?: AbortSignal,
): Promise<CheckResult | undefined> {
  if (store.probeUploads === undefined) return undefined;
  let configured = true;
  const result = await timed('upload-settings', async () => {
    const proven = await store.probeUploads!(serverName, signal ? { signal } : {});
    if (proven === undefined) {
      configured = false;
      return { status: 'skip', finding: 'no encryption or tags configured', hint: '' };
    }
    return { status: 'pass', finding: `the store took uploads with ${proven.join('; ')}`, hint: '' };
  });
  return configured ? result : undefined;
}
