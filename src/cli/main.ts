// The entry point: dispatches to command modules (loaded lazily, so `pgdr wal archive` stays cheap to start),
// and is the only place that turns errors into exit codes.
import { asPgdrError, ERRORS, PgdrError } from '../errors.js';
import { FORMAT_FLAG, oneOf, parse, positionals, STORE_FLAGS } from './args.js';
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

type Loader = () => Promise<Command>;

const COMMANDS: Record<string, Loader> = {
  'backup create': async () => (await import('./commands/backup-create.js')).backupCreate,
  'backup list': async () => (await import('./commands/backup-list.js')).backupList,
  'backup show': async () => (await import('./commands/backup-show.js')).backupShow,
  'backup delete': async () => (await import('./commands/backup-delete.js')).backupDelete,
  'backup keep': async () => (await import('./commands/backup-keep.js')).backupKeepCommand,
  'backup verify': async () => (await import('./commands/backup-verify.js')).backupVerify,
  'retention apply': async () => (await import('./commands/retention-apply.js')).retentionApply,
  status: async () => (await import('./commands/status.js')).status,
  restore: async () => (await import('./commands/restore.js')).restoreCommand,
  'wal archive': async () => (await import('./commands/wal-archive.js')).walArchive,
  'wal restore': async () => (await import('./commands/wal-restore.js')).walRestore,
  'wal service': async () => (await import('./commands/wal-service.js')).walService,
  'wal verify': async () => (await import('./commands/wal-verify.js')).walVerify,
  'check-wal-archive': async () => (await import('./commands/check-wal-archive.js')).checkWalArchiveCommand,
  check: async () => (await import('./commands/check.js')).checkCommand,
  verify: async () => (await import('./commands/verify.js')).verifyCommand,
  drill: async () => (await import('./commands/drill.js')).drillCommand,
  'drill history': async () => (await import('./commands/drill-history.js')).drillHistoryCommand,
  'k8s manifests': async () => (await import('./commands/k8s-manifests.js')).k8sManifests,
  'k8s pitr': async () => (await import('./commands/k8s-recover.js')).k8sPitr,
  'k8s latest': async () => (await import('./commands/k8s-recover.js')).k8sLatest,
  'k8s status': async () => (await import('./commands/k8s-status.js')).k8sStatusCommand,
  'k8s promote': async () => (await import('./commands/k8s-promote.js')).k8sPromote,
  'k8s drill': async () => (await import('./commands/k8s-drill.js')).k8sDrill,
  'k8s switchover': async () => (await import('./commands/k8s-switchover.js')).k8sSwitchover,
  'k8s failback': async () => (await import('./commands/k8s-failback.js')).k8sFailback,
  'k8s replica-status': async () => (await import('./commands/k8s-replica-status.js')).k8sReplicaStatus,
  'k8s support-bundle': async () => (await import('./commands/k8s-support-bundle.js')).k8sSupportBundle,
  agent: async () => (await import('./commands/agent.js')).agentCommand,
  'replica create': async () => (await import('./commands/replica-create.js')).replicaCreate,
  'replica status': async () => (await import('./commands/replica-status.js')).replicaStatusCommand,
  'replica promote': async () => (await import('./commands/replica-promote.js')).replicaPromote,
  'failback plan': async () => (await import('./commands/failback-plan.js')).failbackPlanCommand,
  'failback run': async () => (await import('./commands/failback-run.js')).failbackRunCommand,
  connections: async () => (await import('./commands/connections.js')).connectionsCommand,
  demo: async () => (await import('./commands/demo.js')).demoCommand,
  serve: async () => (await import('./commands/serve.js')).serveCommand,
  'postgres install': async () => (await import('./commands/postgres-install.js')).postgresInstall,
  'postgres list': async () => (await import('./commands/postgres-list.js')).postgresList,
  'config show': async () => (await import('./commands/config-show.js')).configShow,
};

export const COMMAND_NAMES = Object.keys(COMMANDS);

async function findCommand(args: string[]): Promise<{ cmd: Command; rest: string[] } | undefined> {
  for (const words of [2, 1]) {
    const key = args.slice(0, words).join(' ');
    const load = COMMANDS[key];
    if (load && args.length >= words) return { cmd: await load(), rest: args.slice(words) };
  }
  return undefined;
}

export async function overview(): Promise<string> {
  const cmds = await Promise.all(Object.values(COMMANDS).map((l) => l()));
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
    const p = parse([...globals, ...rest.slice(1)], { ...STORE_FLAGS, ...FORMAT_FLAG }, 'version');
    positionals(p, 'version', 0, 0, '');
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
  const cmds = await Promise.all(Object.values(COMMANDS).map((l) => l()));
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
  const cmds = await Promise.all(names.map((n) => (COMMANDS[n] as Loader)()));
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
