import { loadConfigDetailed } from '../../config/load.js';
import { isPgdrError } from '../../errors.js';
import { knownSecrets, redactor } from '../../serve/redact.js';
import { FORMAT_FLAG, oneOf, parseFlagsOnly, STORE_FLAGS, str } from '../args.js';
import { type ConfigField, configFields, nested, type Source } from '../config-fields.js';
import { STORE_USAGE } from '../context.js';
import type { CliContext, Command } from '../main.js';
import { findPgdrCommand } from '../pgdr-command.js';

const NAME = 'config show';

const FOUND_BY = {
  '--config': '--config',
  PGDR_CONFIG: 'PGDR_CONFIG',
  './pgdr.yaml': 'pgdr.yaml in the current folder',
  system: 'the host-wide file: no --config, PGDR_CONFIG or ./pgdr.yaml',
} as const;

export const configShow: Command = {
  name: NAME,
  summary: 'print the configuration in effect, secrets redacted, and where each value came from',
  usage: `Usage: pgdr config show [--format yaml|json] [store options]

Reads the configuration as every other command does: --config FILE, else PGDR_CONFIG, else pgdr.yaml in the
current folder, else /etc/pgdr/pgdr.yaml; flags override the file for one run. Prints every field in effect,
defaults included, each with its source: the file, an environment variable (PGDR_COMMAND, AWS_REGION,
AWS_ACCESS_KEY_ID, ...), a flag, the default, or PATH (pgdrCommand: the pgdr found there). Credentials show
the {env: NAME} or {file: PATH} reference they are read through, never their value; a password in
postgres.connection and a webhook URL show [redacted].

pgdrCommand is the pgdr that restore, replica create/promote, drill and failback write into PostgreSQL's
restore_command and archive_command. Warnings about it (a source checkout, a folder of one node version)
go to stderr.

  --format yaml|json   yaml (default: the configuration with the source of each value as a comment) or json

${STORE_USAGE}`,
  run: show,
};

async function show(argv: string[], ctx: CliContext): Promise<number> {
  const p = parseFlagsOnly(argv, { ...STORE_FLAGS, ...FORMAT_FLAG }, NAME);
  const format = oneOf(p, 'format', ['yaml', 'json'] as const, 'yaml', NAME);
  const flags = {
    serverName: str(p, 'server-name'),
    destinationPath: str(p, 'destination-path'),
    endpointURL: str(p, 'endpoint-url'),
  };
  const loaded = loadConfigDetailed({
    overrides: { configFile: str(p, 'config'), ...flags },
    env: ctx.env,
    cwd: ctx.cwd,
    systemConfigFile: ctx.systemConfigFile,
  });
  let pgdr: { path: string; from: 'config' | 'PATH' } | { error: string };
  let warnings: readonly string[] = [];
  try {
    const found = await findPgdrCommand(loaded.config, ctx.env);
    pgdr = found;
    warnings = found.warnings;
  } catch (e) {
    if (!isPgdrError(e)) throw e;
    pgdr = { error: e.message };
    warnings = [`${e.message}: ${e.hint ?? ''}`];
  }
  for (const w of warnings) ctx.stderr.write(`pgdr: warning: ${w}\n`);
  const fields = configFields({ loaded, flags, env: ctx.env, pgdr });
  const file = loaded.file === undefined ? null : { path: loaded.file.path, foundBy: loaded.file.origin };
  // Whatever path a secret took into a value, it leaves as [redacted].
  const scrub = redactor(knownSecrets(loaded.config));
  const text =
    format === 'json'
      ? `${JSON.stringify({ file, config: nested(fields), fields, warnings }, null, 2)}\n`
      : await yamlText(fields, loaded.file);
  ctx.stdout.write(scrub(text));
  return 0;
}

function sourceText(s: Source): string {
  if (s.kind === 'default') return 'default';
  if (s.kind === 'PATH') return s.name === undefined ? 'found on PATH' : `PATH: ${s.name}`;
  return `${s.kind} ${s.name ?? ''}`.trim();
}

async function yamlText(
  fields: readonly ConfigField[],
  file: { path: string; origin: keyof typeof FOUND_BY } | undefined,
): Promise<string> {
  const { Document } = await import('yaml');
  const doc = new Document(nested(fields));
  for (const f of fields) {
    const node = doc.getIn(f.field.split('.'), true) as { comment?: string; flow?: boolean } | undefined;
    if (node === undefined) continue;
    if (typeof f.value === 'object' && f.value !== null) node.flow = true;
    node.comment = ` ${sourceText(f.source)}`;
  }
  doc.commentBefore =
    file === undefined
      ? ' no configuration file: flags, environment and defaults only'
      : ` read from ${file.path} (${FOUND_BY[file.origin]})`;
  return doc.toString({ lineWidth: 0 });
}
