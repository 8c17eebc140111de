// The recovery-only start settings: syncfs from PostgreSQL 14, no recovery prefetch from 15, and a
// max_wal_size that holds the planned range (never below the default, capped), so no restartpoint interrupts
// the replay.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { replaySettings } from '../../src/engine/restore/replay-settings.js';

describe('restore replay settings', () => {
  it('sizes max_wal_size from the planned range, within default and cap', () => {
    assert.deepEqual(replaySettings({ major: 17, segments: 64, platform: 'linux' }), {
      recovery_init_sync_method: 'syncfs',
      recovery_prefetch: 'off',
      max_wal_size: '3072MB',
    });
    assert.deepEqual(replaySettings({ major: 15, segments: 0, platform: 'linux' }), {
      recovery_init_sync_method: 'syncfs',
      recovery_prefetch: 'off',
    });
    assert.equal(replaySettings({ major: 17, segments: 100_000, platform: 'linux' }).max_wal_size, '8192MB');
    assert.equal(
      replaySettings({ major: 17, segments: 4, segmentBytes: 64 * 1024 * 1024, platform: 'linux' })
        .max_wal_size,
      '1536MB',
    );
  });

  it('passes syncfs only on Linux, whose builds have syncfs(2)', () => {
    assert.equal(
      replaySettings({ major: 17, segments: 1, platform: 'darwin' }).recovery_init_sync_method,
      undefined,
    );
  });

  it('leaves recovery_init_sync_method alone before PostgreSQL 14, recovery_prefetch before 15', () => {
    assert.equal(
      replaySettings({ major: 13, segments: 1, platform: 'linux' }).recovery_init_sync_method,
      undefined,
    );
    assert.equal(replaySettings({ major: 14, segments: 1, platform: 'linux' }).recovery_prefetch, undefined);
  });
});
