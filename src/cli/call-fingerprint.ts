// What decides which archive a `wal archive` or `wal restore` call talks to: its flags, PGDR_CONFIG, the working
// folder and the configuration file (by identity, so an edit counts), plus the boot (the restore spool is not
// fsynced: a crash of the machine must void it). An earlier call writes it beside the work it did ahead
// (archive markers, the restore spool); a later call reuses that work only with the very same fingerprint.
// bin/pgdr builds the same text in sh to answer those calls without starting node: keep the two in step.
import { resolve } from 'node:path';
import { configFileOf } from '../config/config-file.js';
import { bootId } from '../engine/boot-id.js';
import { fileIdentity } from '../engine/file-identity.js';

export const FINGERPRINT_HEADER = 'pgdr-call 1';

export interface CallInput {
  /** The arguments after the command name. */
  readonly argv: readonly string[];
  /** The positional arguments (WAL path, or WALNAME and DEST): not part of the fingerprint. */
  readonly positionals: readonly string[];
  readonly configFlag: string | undefined;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** CliContext.systemConfigFile. */
  readonly systemConfigFile?: string | undefined;
}

export async function callFingerprint(c: CallInput): Promise<string> {
  const file = configFileOf({
    configFile: c.configFlag,
    env: c.env,
    cwd: c.cwd,
    systemConfigFile: c.systemConfigFile,
  });
  const config = file === undefined ? '' : resolve(c.cwd, file);
  const [boot, id] = await Promise.all([
    bootId(),
    config === '' ? '' : fileIdentity(config).catch(() => 'missing'),
  ]);
  const flags = withoutPositionals(c.argv, c.positionals);
  return [
    FINGERPRINT_HEADER,
    boot,
    c.cwd,
    c.env.PGDR_CONFIG === undefined ? '' : `=${c.env.PGDR_CONFIG}`,
    String(flags.length),
    ...flags,
    config,
    id,
  ].join('\n');
}

/** PostgreSQL puts %p (%f %p) last, and that is the only form bin/pgdr recognises; any other still works. */
function withoutPositionals(argv: readonly string[], positionals: readonly string[]): string[] {
  const k = positionals.length;
  const tail = argv.slice(argv.length - k);
  if (tail.every((a, i) => a === positionals[i])) return argv.slice(0, argv.length - k);
  // Not last: a form bin/pgdr never matches (its count line differs), still stable for node's own reuse.
  const rest = [...argv];
  for (const p of positionals) rest.splice(rest.lastIndexOf(p), 1);
  return ['--positionals-not-last', ...rest];
}
