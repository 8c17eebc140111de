// Shows backup progress: one redrawn line on a terminal (bytes done / total, rate, ETA), plain log lines
// otherwise (one per phase change and at most one every 10 s while copying).
import type { BackupProgress } from '../../engine/backup/types.js';
import type { Out } from '../output.js';
import { bytes } from '../output.js';

export function progressRenderer(
  out: Out,
  enabled: boolean,
): { update(p: BackupProgress): void; end(): void } {
  const started = Date.now();
  let lastPhase = '';
  let lastLine = 0;
  let drawn = false;
  const write = (s: string) => out.stderr.write(s);
  return {
    update(p) {
      if (!enabled) return;
      const now = Date.now();
      const copying = p.phase === 'copy' && p.bytesTotal > 0;
      const secs = (now - started) / 1000;
      const rate = secs > 0 ? p.bytesDone / secs : 0;
      const eta = rate > 0 ? Math.max(0, (p.bytesTotal - p.bytesDone) / rate) : 0;
      const pct = p.bytesTotal > 0 ? Math.min(100, (100 * p.bytesDone) / p.bytesTotal) : 0;
      const status = `${bytes(p.bytesDone)} / ${bytes(p.bytesTotal)} (${pct.toFixed(0)}%), ${bytes(rate)}/s, stored ${bytes(p.bytesStored)}, ETA ${eta.toFixed(0)}s`;
      if (out.isTTY) {
        const width = 30;
        const fill = Math.round((pct / 100) * width);
        const bar = `[${'#'.repeat(fill)}${'.'.repeat(width - fill)}]`;
        const text = copying ? `${bar} ${status}` : (p.message ?? p.phase);
        write(`\r\x1b[2K${text}`);
        drawn = true;
        if (p.phase !== lastPhase && p.message && !copying) lastPhase = p.phase;
        return;
      }
      if (p.phase !== lastPhase || p.message) {
        lastPhase = p.phase;
        if (p.message) write(`${new Date().toISOString()} ${p.message}\n`);
        return;
      }
      if (copying && now - lastLine >= 10_000) {
        lastLine = now;
        write(`${new Date().toISOString()} copied ${status}\n`);
      }
    },
    end() {
      if (drawn) write('\r\x1b[2K');
    },
  };
}
