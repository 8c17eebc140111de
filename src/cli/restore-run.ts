// What the commands that restore a backup and start PostgreSQL on it (restore, replica create, drill) give the
// engine alike: the store and the server, the `pgdr` that PostgreSQL's restore_command runs, where the binaries
// are, and progress on stderr, closed when the run ends.
import type { PgdrConfig } from '../config/types.js';
import type { BinariesCache } from '../postgres/binaries.js';
import type { Reporter } from '../progress/reporter.js';
import type { ObjectStore } from '../storage/object-store.js';
import type { Parsed } from './args.js';
import { configFrom, withStore } from './context.js';
import type { CliContext } from './main.js';
import { pgdrCommandFor } from './pgdr-command.js';
import { binariesCache } from './postgres-binaries.js';
import { progressReporter } from './progress-flags.js';

export interface RestoreRun {
  readonly store: ObjectStore;
  readonly serverName: string;
  readonly objectStore: PgdrConfig['objectStore'];
  readonly pgdrCommand: string[];
  readonly binDir: string | undefined;
  readonly binariesCache: BinariesCache;
  readonly signal: AbortSignal;
  readonly progress: Reporter;
  /** Each stage's note, as progress shows it. */
  readonly onStage: (stage: string) => void;
}

export async function withRestoreRun<T>(
  p: Parsed,
  ctx: CliContext,
  command: string,
  fn: (run: RestoreRun) => Promise<T>,
): Promise<T> {
  const config = configFrom(p, ctx);
  const pgdrCommand = await pgdrCommandFor(config, ctx);
  const progress = progressReporter(p, ctx, command);
  return withStore(config, (store) =>
    fn({
      store,
      serverName: config.serverName,
      objectStore: config.objectStore,
      pgdrCommand,
      binDir: config.postgres.binDir,
      binariesCache: binariesCache(config, ctx, p),
      signal: ctx.signal,
      progress,
      onStage: (s) => progress.emit({ type: 'stage', message: s }),
    }),
  ).finally(() => progress.close());
}
