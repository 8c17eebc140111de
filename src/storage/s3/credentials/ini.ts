// The shared AWS config and credentials files (~/.aws/config, ~/.aws/credentials): INI sections of
// `key = value` lines, `#` and `;` comments. Indented lines under a key with no value (the `s3 =` blocks of
// the config file) are service settings pgdr does not use, and are skipped.
import { readFile } from 'node:fs/promises';

export type IniSections = ReadonlyMap<string, Readonly<Record<string, string>>>;

const MAX_FILE_BYTES = 1024 * 1024;

export function parseIni(text: string): IniSections {
  const sections = new Map<string, Record<string, string>>();
  let current: Record<string, string> | undefined;
  let nested = false;
  for (const raw of text.split(/\r?\n/)) {
    if (/^\s*([#;].*)?$/.test(raw)) continue;
    const section = /^\s*\[([^\]]+)\]\s*([#;].*)?$/.exec(raw);
    if (section) {
      const name = (section[1] ?? '').trim();
      current = sections.get(name) ?? {};
      sections.set(name, current);
      nested = false;
      continue;
    }
    if (/^\s/.test(raw) && nested) continue;
    const kv = /^\s*([^=]+?)\s*=\s*(.*?)\s*$/.exec(raw);
    if (!kv || current === undefined) continue;
    const key = (kv[1] ?? '').toLowerCase();
    const value = (kv[2] ?? '').replace(/\s+[#;].*$/, '');
    nested = value === '';
    if (!nested) current[key] = value;
  }
  return sections;
}

/** The file's sections, or undefined when it does not exist. Other read errors are thrown with their code. */
export async function readIni(path: string): Promise<IniSections | undefined> {
  let text: string;
  try {
    const buf = await readFile(path);
    if (buf.length > MAX_FILE_BYTES) throw Object.assign(new Error('too large'), { code: 'EFBIG' });
    text = buf.toString('utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  return parseIni(text);
}
