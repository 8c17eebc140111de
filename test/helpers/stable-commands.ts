// The commands pgdr writes into a data folder's postgresql.auto.conf (restore_command, archive_command) must
// outlive the pgdr that wrote them: they name the configured pgdr (the tests configure this checkout's
// bin/pgdr explicitly, cli.ts PGDR_COMMAND_ENV) and nothing else of the checkout, never node, and read a
// configuration given by an absolute --config (PostgreSQL runs them in the data folder).
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { PGDR_EXE } from './cli.js';

const CHECKOUT = dirname(dirname(PGDR_EXE));

/** The values of restore_command and archive_command in the file, in order ('' quoting undone). */
export function writtenCommands(autoConf: string): Array<{ name: string; value: string }> {
  const out: Array<{ name: string; value: string }> = [];
  for (const m of autoConf.matchAll(/^(restore_command|archive_command)\s*=\s*'((?:[^']|'')*)'/gm))
    out.push({ name: m[1]!, value: m[2]!.replace(/''/g, "'") });
  return out;
}

/**
 * Checks every pgdr command in pgdata's postgresql.auto.conf and returns them; `configured` is the pgdr the
 * commands may name. Commands that are not pgdr's (`false`, a test primary's own) are left alone.
 */
export async function assertStableCommands(pgdata: string, configured = PGDR_EXE): Promise<string[]> {
  const text = await readFile(join(pgdata, 'postgresql.auto.conf'), 'utf8');
  const pgdrs = writtenCommands(text).filter((c) => / wal (archive|restore) /.test(c.value));
  for (const c of pgdrs) {
    const where = `${c.name} in ${pgdata}: ${c.value}`;
    assert.ok(!c.value.includes(process.execPath), `names node: ${where}`);
    assert.ok(!/PGDR_NODE=|\/bin\.js\b/.test(c.value), `names node or the CLI script: ${where}`);
    assert.ok(!c.value.split(configured).join('').includes(CHECKOUT), `names the checkout: ${where}`);
    assert.ok(c.value.includes(configured), `runs the configured pgdr ${configured}: ${where}`);
    for (const call of c.value.matchAll(/ wal (?:archive|restore) (.*?)(?: %f)? %p/g))
      assert.match(call[1]!, /^--config '?\//, `an absolute --config first: ${where}`);
  }
  return pgdrs.map((c) => c.value);
}
