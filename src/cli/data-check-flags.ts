// --preset and --checks, shared by `verify` and `drill`: the data checks a restored database must pass.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { PgdrError } from '../errors.js';
import { parseChecksFile } from '../verify/checks-file.js';
import { type DataCheck, PRESETS } from '../verify/data-check.js';
import { type FlagSpec, type Parsed, str } from './args.js';

/** What dataChecksFromFlags reads. */
export const DATA_CHECK_FLAGS: FlagSpec = {
  preset: { type: 'string' },
  checks: { type: 'string' },
};

export function readText(cwd: string, file: string, what: string): string {
  try {
    return readFileSync(resolve(cwd, file), 'utf8');
  } catch (e) {
    throw new PgdrError('CONFIG_INVALID', `${what}: cannot read ${file}: ${(e as Error).message}`, {
      hint: `check the ${what} path`,
    });
  }
}

export function dataChecksFromFlags(p: Parsed, cwd: string, command: string): DataCheck[] {
  const out: DataCheck[] = [];
  const preset = str(p, 'preset');
  if (preset !== undefined) {
    const list = PRESETS[preset];
    if (!list) {
      throw new PgdrError('USAGE', `${command}: unknown --preset '${preset}'`, {
        hint: `presets: ${Object.keys(PRESETS).join(', ')}`,
      });
    }
    out.push(...list);
  }
  const file = str(p, 'checks');
  if (file !== undefined) out.push(...parseChecksFile(readText(cwd, file, '--checks'), file));
  const names = new Set<string>();
  for (const c of out) {
    if (names.has(c.name)) throw new PgdrError('USAGE', `${command}: check '${c.name}' is defined twice`);
    names.add(c.name);
  }
  return out;
}
