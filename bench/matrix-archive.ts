// The matrix's archive_command. Normally it runs all three archivers one after another, so every tool's archive
// holds the WAL its restores need. While one tool's backup row is measured it runs that tool's archiver alone:
// a backup waits until its own WAL is archived (pgdr and barman-cloud until PostgreSQL marks the segment done,
// pgBackRest until the segment is in its repository), and with the chain it would also wait out the other
// tools' archivers (barman-cloud's Python start-up and gzip-9 included). What the other tools missed is copied
// to a spool first (by every mode alike, so each tool pays the same copy) and pushed to them after the row,
// unmeasured, in the order PostgreSQL archived it.
import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ServerUser } from '../src/postgres/os-user.js';
import { shQuote } from '../src/shell-quote.js';
import type { Tool } from './matrix-table.js';

/** One shell line per tool archiving "$1"; catchUp: the same for a segment PostgreSQL no longer waits on. */
export interface Archivers {
  readonly lines: Partial<Record<Tool, string>>;
  readonly catchUp: Partial<Record<Tool, string>>;
}

export class ArchiveSwitch {
  private readonly spool: string;
  private readonly order: string;
  private only: Tool | undefined;

  constructor(
    private readonly script: string,
    work: string,
    private readonly archivers: Archivers,
    private readonly user: ServerUser | null,
    /** --chained-archiving: the chain stays during backup rows too (each backup waits for every archiver). */
    private readonly chained = false,
  ) {
    this.spool = join(work, 'archive-spool', 'pg_wal');
    this.order = join(work, 'archive-spool', 'order');
  }

  /**
   * Runs a backup row with only this tool's archiver, then waits until the archiver is idle (what it archived
   * is spooled) and catches the other tools up, unmeasured.
   */
  async alone<T>(tool: Tool, switchWal: () => Promise<unknown>, row: () => Promise<T>): Promise<T> {
    await this.exclusive(tool);
    try {
      return await row();
    } finally {
      await switchWal();
      await this.all();
    }
  }

  /** Every archiver, one after another (the spool emptied into the tools that missed it first). */
  async all(): Promise<void> {
    await this.write(Object.values(this.archivers.lines));
    await this.catchUp();
  }

  /** Only this tool's archiver, until all(); the caller waits for the archiver to be idle before switching. */
  async exclusive(tool: Tool): Promise<void> {
    if (this.chained) return;
    const line = this.archivers.lines[tool];
    if (line === undefined) throw new Error(`no archiver for ${tool}`);
    await fsp.mkdir(join(this.spool, 'archive_status'), { recursive: true });
    await this.chown(join(this.spool, '..'));
    const s = shQuote(this.spool);
    await this.write([
      'f=$(basename "$1")',
      `cp "$1" ${s}/"$f"`,
      `touch ${s}/archive_status/"$f".ready`,
      `echo "$f" >> ${shQuote(this.order)}`,
      line,
    ]);
    this.only = tool;
  }

  private async write(body: readonly string[]): Promise<void> {
    // A new file renamed over the old one: an archive_command already running keeps reading its own version.
    const tmp = `${this.script}.new`;
    await fsp.writeFile(tmp, ['#!/bin/sh', 'set -e', ...body, ''].join('\n'), { mode: 0o755 });
    await fsp.rename(tmp, this.script);
  }

  /** Pushes what the exclusive tool alone archived to the others, as PostgreSQL's archiver would have. */
  private async catchUp(): Promise<void> {
    const only = this.only;
    this.only = undefined;
    if (only === undefined) return;
    const others = Object.entries(this.archivers.catchUp)
      .filter(([t]) => t !== only)
      .map(([, l]) => l);
    const script = [
      'set -e',
      `cd ${shQuote(this.spool)}`,
      // A file PostgreSQL retried after a failure is listed twice: pushed once.
      `awk '!seen[$0]++' ${shQuote(this.order)} | while read -r f; do`,
      '  set -- "$PWD/$f"',
      ...others.map((l) => `  ${l}`),
      '  mv archive_status/"$f".ready archive_status/"$f".done',
      'done',
    ].join('\n');
    const as = this.user ? { uid: this.user.uid, gid: this.user.gid } : {};
    const env = this.user ? { ...process.env, HOME: this.user.home, USER: this.user.name } : process.env;
    await fsp.writeFile(this.order, '', { flag: 'a' });
    await promisify(execFile)('sh', ['-c', script], { ...as, env, maxBuffer: 1 << 24 });
    await fsp.rm(join(this.spool, '..'), { recursive: true, force: true });
  }

  private async chown(dir: string): Promise<void> {
    if (!this.user) return;
    await promisify(execFile)('chown', ['-R', `${this.user.uid}:${this.user.gid}`, dir]);
  }
}
