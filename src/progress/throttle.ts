// At most one report per task per interval, plus the first and the last of each task, so a log shows when a
// task started and that it finished however short it was.
import type { Measure } from './tracker.js';

export class Throttle {
  private readonly last = new Map<string, number>();
  private readonly ended = new Set<string>();

  constructor(private readonly intervalMs: number) {}

  due(m: Measure, nowMs: number): boolean {
    const task = m.event.task;
    if (m.finished) {
      if (this.ended.has(task)) return false;
      this.ended.add(task);
      this.last.set(task, nowMs);
      return true;
    }
    this.ended.delete(task);
    const last = this.last.get(task);
    if (!m.first && last !== undefined && nowMs - last < this.intervalMs) return false;
    this.last.set(task, nowMs);
    return true;
  }
}
