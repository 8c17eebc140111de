// Runs named async calls in a node child as the PostgreSQL OS user (root ignores permission bits, so permission
// errors only show as that user) and returns what each threw: its code and message, or 'ok'.
import assert from 'node:assert/strict';
import { runAsServerUser, type ServerUser } from '../../src/postgres/os-user.js';

export type CallOutcome = { code: string; message: string } | 'ok';

/** `prelude`: statements (imports) the calls use; `calls`: the body of an object literal of named functions. */
export async function callsAsServerUser(
  user: ServerUser | null,
  prelude: string,
  calls: string,
): Promise<Record<string, CallOutcome>> {
  const script = `${prelude}
    const calls = { ${calls} };
    const out = {};
    for (const [name, call] of Object.entries(calls)) {
      try { await call(); out[name] = 'ok'; } catch (e) { out[name] = { code: e.code, message: e.message }; }
    }
    process.stdout.write(JSON.stringify(out));`;
  const r = await runAsServerUser({
    file: process.execPath,
    args: ['--input-type=module', '-e', script],
    user,
  });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, CallOutcome>;
}
