// Numbers as progress shows them: sizes, rates, ETAs and percentages.
import { formatDuration } from '../common/duration.js';
import { bytes } from '../common/text-format.js';

export { bytes };

/** '12.0 MiB/s' for bytes, '40.5 WAL objects/s' for items; '?' before a rate can be measured. */
export function rate(perSecond: number | null, unit?: string): string {
  if (perSecond === null || !Number.isFinite(perSecond)) return `? ${unit ?? 'B'}/s`;
  return unit === undefined ? `${bytes(perSecond)}/s` : `${perSecond.toFixed(1)} ${unit}/s`;
}

/** 'ETA 1m 5s'; 'ETA <1s' when about to finish; 'ETA ?' while nothing moves yet or the total is unknown. */
export function eta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return 'ETA ?';
  return seconds > 0 && seconds < 1 ? 'ETA <1s' : `ETA ${formatDuration(seconds * 1000)}`;
}

export function percent(done: number, total: number | null): number | null {
  if (total === null || total <= 0) return null;
  return Math.max(0, Math.min(100, (100 * done) / total));
}
