// Progress of `pgdr backup verify` on stderr, in the style of backup-progress.ts: one redrawn line on a
// terminal, otherwise a line when a backup starts and at most one every 10 s while it is read.
import type { VerifyProgress } from '../../engine/verify-backup/types.js';
import type { Out } from '../output.js';
import { bytes } from '../output.js';

export function verifyProgress(out: Out, enabled: boolean): { update(p: VerifyProgress): void; end(): void } {
  let current = '';
  let lastLine = 0;
  let drawn = false;
  const write = (s: string) => out.stderr.write(s);
  return {
    update(p) {
      if (!enabled) return;
      const now = Date.now();
      const pct = p.bytesTotal > 0 ? Math.min(100, (100 * p.bytesDone) / p.bytesTotal) : 100;
      const status = `verifying ${p.backupId}: ${bytes(p.bytesDone)} / ${bytes(p.bytesTotal)} (${pct.toFixed(0)}%)`;
      if (out.isTTY) {
        if (now - lastLine < 200 && p.backupId === current) return;
        lastLine = now;
        current = p.backupId;
        write(`\r\x1b[2K${status}`);
        drawn = true;
        return;
      }
      if (p.backupId !== current || now - lastLine >= 10_000) {
        current = p.backupId;
        lastLine = now;
        write(`${new Date().toISOString()} ${status}\n`);
      }
    },
    end() {
      if (drawn) write('\r\x1b[2K');
      drawn = false;
    },
  };
}
