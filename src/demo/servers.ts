// Every data folder a PostgreSQL may run in during the demo. `pgdr restore` and `pgdr replica create` leave
// their servers running by design, so a folder is registered before the command that may start a server in it
// runs: whatever fails or is interrupted, stopAll() finds and stops it.
import type { PostgresBinaries } from '../postgres/binaries.js';
import { runAsServerUser, type ServerUser } from '../postgres/os-user.js';

export class ServerRegistry {
  private readonly dirs = new Set<string>();

  constructor(
    private readonly bin: PostgresBinaries,
    private readonly user: ServerUser | null,
  ) {}

  add(pgdata: string): void {
    this.dirs.add(pgdata);
  }

  async isRunning(pgdata: string): Promise<boolean> {
    const r = await runAsServerUser({
      file: this.bin.pgCtl,
      args: ['status', '-D', pgdata],
      user: this.user,
      timeoutMs: 30_000,
    });
    return r.code === 0;
  }

  /** Stops the server in pgdata if one runs there; fast first, immediate when fast does not finish. */
  async stop(pgdata: string, mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    if (!(await this.isRunning(pgdata))) return;
    const run = (m: string) =>
      runAsServerUser({
        file: this.bin.pgCtl,
        args: ['stop', '-D', pgdata, '-m', m, '-w', '-t', '60'],
        user: this.user,
        timeoutMs: 90_000,
      });
    const r = await run(mode);
    if (r.code !== 0 && (await this.isRunning(pgdata))) await run('immediate');
    if (await this.isRunning(pgdata)) throw new Error(`PostgreSQL in ${pgdata} did not stop`);
  }

  /** Stops every registered server; returns the folders it could not stop (never throws). */
  async stopAll(): Promise<string[]> {
    const failed: string[] = [];
    for (const d of [...this.dirs].reverse()) {
      await this.stop(d).catch(() => failed.push(d));
    }
    return failed;
  }
}
