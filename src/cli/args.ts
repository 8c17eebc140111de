// Thin wrapper over node:util parseArgs: every mistake becomes a USAGE error naming the command's help.
import { parseArgs } from 'node:util';
import { PgdrError } from '../errors.js';

export type FlagSpec = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;

/** Flags every command that touches the bucket accepts. */
export const STORE_FLAGS: FlagSpec = {
  config: { type: 'string', short: 'c' },
  'destination-path': { type: 'string' },
  'endpoint-url': { type: 'string' },
  'server-name': { type: 'string' },
};

/** -o json is the short form, as kubectl users type it. */
export const FORMAT_FLAG: FlagSpec = { format: { type: 'string', short: 'o' } };

/** Where a recovery stops: `pgdr restore` and `pgdr k8s manifests recovery-cluster` take the same flags. */
export const TARGET_FLAGS: FlagSpec = {
  'backup-id': { type: 'string' },
  'target-time': { type: 'string' },
  'target-lsn': { type: 'string' },
  'target-xid': { type: 'string' },
  'target-name': { type: 'string' },
  'target-immediate': { type: 'boolean' },
  'target-tli': { type: 'string' },
  exclusive: { type: 'boolean' },
};

export interface Parsed {
  readonly values: Record<string, string | boolean | string[] | undefined>;
  readonly positionals: string[];
}

export function parse(argv: readonly string[], flags: FlagSpec, command: string): Parsed {
  try {
    const r = parseArgs({
      args: [...argv],
      options: { ...flags, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    return { values: r.values as Parsed['values'], positionals: r.positionals };
  } catch (e) {
    const msg = (e as Error).message.replace(
      /\. To specify a positional argument starting with a '-'.*$/s,
      '',
    );
    throw new PgdrError('USAGE', `${command}: ${msg}`, { hint: `see: pgdr ${command} --help` });
  }
}

/** parse() for a command that takes flags only: a positional argument is a usage error. */
export function parseFlagsOnly(argv: readonly string[], flags: FlagSpec, command: string): Parsed {
  const p = parse(argv, flags, command);
  positionals(p, command, 0, 0, '');
  return p;
}

export function str(p: Parsed, name: string): string | undefined {
  const v = p.values[name];
  return typeof v === 'string' ? v : undefined;
}

export function flag(p: Parsed, name: string): boolean {
  return p.values[name] === true;
}

export function oneOf<T extends string>(
  p: Parsed,
  name: string,
  allowed: readonly T[],
  def: T,
  command: string,
): T {
  const v = str(p, name);
  if (v === undefined) return def;
  if (!(allowed as readonly string[]).includes(v)) {
    throw new PgdrError('USAGE', `${command}: --${name} must be one of ${allowed.join(', ')} (got '${v}')`, {
      hint: `see: pgdr ${command} --help`,
    });
  }
  return v as T;
}

export function positionals(p: Parsed, command: string, min: number, max: number, names: string): string[] {
  if (p.positionals.length < min) {
    throw new PgdrError('USAGE', `${command}: missing ${names}`, { hint: `see: pgdr ${command} --help` });
  }
  if (p.positionals.length > max) {
    throw new PgdrError('USAGE', `${command}: unexpected argument '${p.positionals[max]}'`, {
      hint: `see: pgdr ${command} --help`,
    });
  }
  return p.positionals;
}
