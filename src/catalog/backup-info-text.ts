// The line format of backup.info, read and written with barman's FieldListFile rules.
import { PgdrError } from '../errors.js';

/** barman's FieldListFile.load rules: skip blank and '#' lines, split on the first '=', strip both sides. */
export function readFieldLines(text: string | Uint8Array): Map<string, string> {
  const body = typeof text === 'string' ? text : decodeUtf8(text);
  const fields = new Map<string, string>();
  for (const line of body.split('\n')) {
    if (line.trim() === '' || line.trimEnd().startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq < 0) {
      const shown = line.trim().length > 80 ? `${line.trim().slice(0, 80)}...` : line.trim();
      throw new PgdrError('CATALOG_INVALID', `invalid line '${shown}' (no '=')`);
    }
    // A repeated key keeps its first position and the last value, as barman's setattr does.
    fields.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  return fields;
}

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (e) {
    throw new PgdrError('CATALOG_INVALID', 'backup.info is not valid UTF-8', { cause: e });
  }
}

/** backup.info text: keys sorted as Python sorts them, one `key=value\n` line each. */
export function serializeBackupInfo(
  fields: ReadonlyMap<string, string> | Iterable<readonly [string, string]>,
): string {
  const entries = [
    ...(fields instanceof Map ? fields.entries() : (fields as Iterable<readonly [string, string]>)),
  ];
  entries.sort(([a], [b]) => compareCodePoints(a, b));
  let out = '';
  for (const [key, value] of entries) {
    if (
      key === '' ||
      /[=\n\r]/.test(key) ||
      /[\n\r]/.test(value) ||
      key.trim() !== key ||
      value.trim() !== value
    ) {
      throw new PgdrError(
        'INTERNAL',
        `cannot write backup.info field ${JSON.stringify(key)}=${JSON.stringify(value)}`,
      );
    }
    out += `${key}=${value}\n`;
  }
  return out;
}

function compareCodePoints(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}
