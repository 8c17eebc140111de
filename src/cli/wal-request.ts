// What makes a `wal archive`/`wal restore` call "this request" for the WAL service's spool
// (engine/wal-service/spool.ts), and how the CLI starts the service. The key is the call's working folder,
// the command (archive or restore), PGDR_CONFIG and its options (everything but the positionals, which PostgreSQL puts last): bin/pgdr reads
// the same three things from its own call and compares them with the spool's request file, line by line.
import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { configFileOf } from '../config/config-file.js';
import type { ServiceClient } from '../engine/wal-service/client.js';
import { epochOf, requestWritable, SPOOL_NAME, type SpoolRequest } from '../engine/wal-service/spool.js';
import { PGDR_NODE_ENTRY } from '../pgdr-executable.js';
import type { CliContext } from './main.js';

export interface WalCall {
  /** Which side of the service the call uses: a service does only its starter's kind of work. */
  readonly mode: 'archive' | 'restore';
  /** The arguments after the command name. */
  readonly argv: readonly string[];
  /** How many trailing arguments are positionals (archive: PATH; restore: WALNAME DEST). */
  readonly positionals: number;
  readonly configFlag: string | undefined;
  /** A WAL path of this call (archive: PATH, restore: DEST), resolved: its folder holds the spool. */
  readonly walPath: string;
}

/** The spool's client for this call, or undefined where the service cannot serve it. */
export async function walServiceClient(call: WalCall, ctx: CliContext): Promise<ServiceClient | undefined> {
  const options = call.argv.slice(0, call.argv.length - call.positionals);
  const file = configFileOf({
    configFile: call.configFlag,
    env: ctx.env,
    cwd: ctx.cwd,
    systemConfigFile: ctx.systemConfigFile,
  });
  const request: SpoolRequest = {
    epoch: await epochOf(ctx.cwd),
    configPath: file === undefined ? '' : resolve(ctx.cwd, file),
    key: [
      call.mode,
      ctx.cwd,
      ctx.env.PGDR_CONFIG === undefined ? '' : `=${ctx.env.PGDR_CONFIG}`,
      String(options.length),
      ...options,
    ],
  };
  if (!requestWritable(request)) return undefined;
  const walDir = dirname(call.walPath);
  return {
    spool: join(walDir, SPOOL_NAME),
    request,
    signal: ctx.signal,
    start: (o = {}) => {
      const extra = [
        ...(o.restoreAfter === undefined ? [] : ['--restore-after', o.restoreAfter]),
        ...(o.archiving === undefined ? [] : ['--archiving', o.archiving]),
      ];
      const child = spawn(
        process.execPath,
        [
          PGDR_NODE_ENTRY,
          'wal',
          'service',
          '--mode',
          call.mode,
          '--wal-dir',
          walDir,
          ...extra,
          '--',
          ...options,
        ],
        { cwd: ctx.cwd, env: ctx.env, detached: true, stdio: 'ignore' },
      );
      child.on('error', () => {});
      child.unref();
    },
  };
}
