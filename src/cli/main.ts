// The entry point: dispatches to command modules (loaded lazily, so `pgdr wal archive` stays cheap to start),
// and is the only place that turns errors into exit codes.
import { asPgdrError, ERRORS, PgdrError } from '../errors.js';
import { FORMAT_FLAG, oneOf, parse, parseFlagsOnly, STORE_FLAGS } from './args.js';
import { GLOBAL_FLAGS_USAGE, splitGlobalFlags } from './global-flags.js';
import { printJsonError, wantsJson } from './json-error.js';
import { json, type Out } from './output.js';
import { VERSION } from './version.js';

export interface Command {
  /** `backup list`, `status`, ... */
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  run(argv: string[], ctx: CliContext): Promise<number>;
}

export interface CliContext extends Out {
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  readonly signal: AbortSignal;
  /** The host-wide configuration file; default /etc/pgdr/pgdr.yaml (tests point it elsewhere). */
  readonly systemConfigFile?: string | undefined;
}

/**
 * The commands, in the order `pgdr help` lists them. Each is exported by commands/WORDS.js (its words joined by
 * a dash), loaded only when needed: `pgdr wal archive` stays cheap to start.
 */
export const COMMAND_NAMES: readonly string[] = [
  'backup create',
  'backup list',
  'backup show',
  'backup delete',
  'backup keep',
  'backup verify',
  'retention apply',
  'status',
  'restore',
  'wal archive',
  'wal restore',
  'wal service',
  'wal verify',
  'check-wal-archive',
  'check',
  'verify',
  'drill',
  'drill history',
  'k8s manifests',
  'k8s pitr',
  'k8s latest',
  'k8s status',
  'k8s promote',
  'k8s drill',
  'k8s switchover',
  'k8s failback',
  'k8s replica-status',
  'k8s support-bundle',
  'agent',
  'replica create',
  'replica status',
  'replica promote',
  'failback plan',
  'failback run',
  'connections',
  'demo',
  'serve',
  'postgres install',
  'postgres list',
  'config show',
];

/** The commands that share a module with another. */
const MODULE_OF: Readonly<Record<string, string>> = {
  'k8s pitr': 'k8s-recover',
  'k8s latest': 'k8s-recover',
};

async function loadCommand(name: string): Promise<Command> {
  const file = `./commands/${MODULE_OF[name] ?? name.replace(' ', '-')}.js`;
  const exported: Record<string, unknown> = await import(file);
  const cmd = Object.values(exported).find(
    (v): v is Command => typeof v === 'object' && v !== null && (v as Command).name === name,
  );
  if (!cmd) throw new PgdrError('INTERNAL', `${file} exports no command '${name}'`);
  return cmd;
}

async function findCommand(args: string[]): Promise<{ cmd: Command; rest: string[] } | undefined> {
  for (const words of [2, 1]) {
    const key = args.slice(0, words).join(' ');
    if (COMMAND_NAMES.includes(key) && args.length >= words)
      return { cmd: await loadCommand(key), rest: args.slice(words) };
  }
  return undefined;
}

async function overview(): Promise<string> {
  const cmds = await Promise.all(COMMAND_NAMES.map(loadCommand));
  const width = Math.max(14, ...cmds.map((c) => c.name.length));
  return [
    `pgdr ${VERSION} — PostgreSQL disaster recovery on the barman-cloud bucket format`,
    '',
    'Usage: pgdr COMMAND [options]',
    '',
    'Commands:',
    ...cmds.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    `  ${'help [COMMAND]'.padEnd(width)}  show help for a command`,
    '',
    'Configuration: --config FILE, else PGDR_CONFIG, else pgdr.yaml in the current folder, else',
    '/etc/pgdr/pgdr.yaml (see docs/configuration.md; pgdr config show prints what is read).',
    GLOBAL_FLAGS_USAGE,
    'With -o json every result, and every error as {"error": {"code", "name", "message", "hint"}}, is JSON',
    'on stdout; the exit code is the same.',
    'Exit codes:',
    ...Object.entries(ERRORS).map(
      ([code, e]) => `  ${String(e.exitCode).padStart(3)}  ${code.padEnd(21)} ${e.summary}`,
    ),
  ].join('\n');
}

export async function main(argv: string[], ctx: CliContext): Promise<number> {
  const asJson = wantsJson(argv);
  if (!asJson) return dispatch(argv, ctx, false);
  let answered = false;
  const stdout = new Proxy(ctx.stdout, {
    get(target, key) {
      const v: unknown = Reflect.get(target, key);
      if (key === 'write') answered = true;
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  try {
    return await dispatch(argv, { ...ctx, stdout }, true);
  } catch (e) {
    // Whatever failed, usage errors included, a script reading stdout gets one JSON document (a report that
    // was printed already names its failure); stderr gets the text.
    if (!answered) printJsonError(ctx, e);
    throw e;
  }
}

async function dispatch(argv: string[], ctx: CliContext, asJson: boolean): Promise<number> {
  const { globals, rest } = splitGlobalFlags(argv);
  if (rest.length === 0 && asJson) {
    throw new PgdrError('USAGE', 'no command given', { hint: 'see: pgdr help' });
  }
  if (rest.length === 0 || rest[0] === '--help' || rest[0] === '-h') {
    if (asJson) json(ctx, await overviewJson());
    else ctx.stdout.write(`${await overview()}\n`);
    return rest.length === 0 ? ERRORS.USAGE.exitCode : 0;
  }
  if (rest[0] === '--version' || rest[0] === '-V' || rest[0] === 'version') {
    const p = parseFlagsOnly([...globals, ...rest.slice(1)], { ...STORE_FLAGS, ...FORMAT_FLAG }, 'version');
    if (oneOf(p, 'format', ['text', 'json'] as const, 'text', 'version') === 'json')
      json(ctx, { version: VERSION });
    else ctx.stdout.write(`pgdr ${VERSION}\n`);
    return 0;
  }
  if (rest[0] === 'help') {
    const words = parse(rest.slice(1), FORMAT_FLAG, 'help').positionals;
    const found = words.length > 0 ? await findCommand(words) : undefined;
    const group = words.length === 1 && !found ? await groupHelp(words[0] as string) : undefined;
    if (words.length > 0 && !found && !group) throw unknownCommand(words);
    if (asJson) json(ctx, found ? helpJson(found.cmd) : await overviewJson());
    else
      ctx.stdout.write(`${found ? helpOf(found.cmd) : (group ?? (await overview()))}
`);
    return 0;
  }
  const found = await findCommand(rest);
  if (!found) {
    // `pgdr k8s`, `pgdr k8s --help`: the group's commands.
    const group =
      rest.length === 1 || rest[1] === '--help' || rest[1] === '-h'
        ? await groupHelp(rest[0] as string)
        : undefined;
    if (!group) throw unknownCommand(rest);
    ctx.stdout.write(`${group}
`);
    return rest.length === 1 ? ERRORS.USAGE.exitCode : 0;
  }
  if (found.rest.includes('--help') || found.rest.includes('-h')) {
    if (asJson) json(ctx, helpJson(found.cmd));
    else ctx.stdout.write(`${helpOf(found.cmd)}\n`);
    return 0;
  }
  return found.cmd.run([...globals, ...found.rest], ctx);
}

async function overviewJson(): Promise<Record<string, unknown>> {
  const cmds = await Promise.all(COMMAND_NAMES.map(loadCommand));
  return {
    version: VERSION,
    commands: cmds.map((c) => ({ name: c.name, summary: c.summary })),
    exit_codes: Object.entries(ERRORS).map(([name, e]) => ({ code: e.exitCode, name, summary: e.summary })),
  };
}

function helpJson(cmd: Command): Record<string, unknown> {
  return { name: cmd.name, summary: cmd.summary, usage: cmd.usage.trim() };
}

/** `pgdr WORD --help` for a word that only starts commands (k8s, backup, replica, ...): their list. */
async function groupHelp(word: string): Promise<string | undefined> {
  const names = COMMAND_NAMES.filter((n) => n.startsWith(`${word} `));
  if (!names.length) return undefined;
  const cmds = await Promise.all(names.map(loadCommand));
  const width = Math.max(...cmds.map((c) => c.name.length));
  return [
    `Usage: pgdr ${word} COMMAND [options]`,
    '',
    'Commands:',
    ...cmds.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    `pgdr ${word} COMMAND --help shows the options of one.`,
  ].join('\n');
}

function helpOf(cmd: Command): string {
  return `pgdr ${cmd.name} — ${cmd.summary}\n\n${cmd.usage.trim()}`;
}

function unknownCommand(args: string[]): PgdrError {
  const group = COMMAND_NAMES.filter((n) => n.startsWith(`${args[0]} `));
  return new PgdrError('USAGE', `unknown command: ${args.slice(0, 2).join(' ')}`, {
    hint: group.length ? `did you mean: ${group.map((g) => `pgdr ${g}`).join(', ')}` : 'see: pgdr help',
  });
}

export function reportError(e: unknown, out: Out, env: NodeJS.ProcessEnv): number {
  const err = asPgdrError(e);
  out.stderr.write(`pgdr: error: ${err.message}\n`);
  if (err.hint) out.stderr.write(`hint: ${err.hint}\n`);
  if (env.PGDR_DEBUG) out.stderr.write(`${(err.cause as Error | undefined)?.stack ?? err.stack}\n`);
  return err.exitCode;
}
