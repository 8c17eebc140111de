// Every data folder a PostgreSQL may run in during the demo. `pgdr restore` and `pgdr replica create` leave
// their servers running by design, so a folder is registered before the command that may start a server in it
// runs: whatever fails or is interrupted, stopAll() finds and stops it.
import type { PostgresBinaries } from '../postgres/binaries.js';
import type { ServerUser } from '../postgres/os-user.js';
import { isRunning, type PgCtlTarget, stopServer } from '../postgres/pg-ctl.js';

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
    return isRunning(this.target(pgdata));
  }

  /** Stops the server in pgdata if one runs there; fast first, immediate when fast does not finish. */
  async stop(pgdata: string, mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    const t = this.target(pgdata);
    await stopServer(t, { mode }).catch(() => stopServer(t, { mode: 'immediate' }));
  }

  private target(pgdata: string): PgCtlTarget {
    return { pgCtl: this.bin.pgCtl, pgdata, user: this.user };
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
