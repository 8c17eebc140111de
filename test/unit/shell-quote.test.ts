// The one sh quoting helper: whatever a path holds, the command line pgdr builds or prints, run by sh (and
// through su, as printed for a server that runs as the postgres OS user), passes it through unchanged.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { resolveServerUser } from '../../src/postgres/os-user.js';
import { shCommand, shCommandAs, shQuote } from '../../src/shell-quote.js';

const NASTY = [
  "/srv/it's data",
  '/srv/two  spaces/ and "double" quotes',
  '$HOME `id` $(id) ; rm -rf /nope & | > <',
  '~root',
  '',
  '-D',
  'new\nline',
  "''",
];

// Prints each argument on its own line, NUL-separated so that a newline inside one shows.
const ECHO = ['/bin/sh', '-c', 'printf "%s\\0" "$@"', 'echo'];

function sh(line: string): string[] {
  const r = spawnSync('/bin/sh', ['-c', line], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\0').slice(0, -1);
}

describe('shQuote / shCommand / shCommandAs', () => {
  it('leaves plain words alone and quotes everything else', () => {
    assert.equal(shQuote('/usr/lib/postgresql/17/bin/pg_ctl'), '/usr/lib/postgresql/17/bin/pg_ctl');
    assert.equal(shQuote("it's"), `'it'\\''s'`);
    assert.equal(shQuote(''), `''`);
    assert.equal(shQuote('PGDR_NODE=/usr/bin/node'), 'PGDR_NODE=/usr/bin/node', 'an assignment stays one');
  });

  it('sh gets back every argument unchanged', () => {
    assert.deepEqual(sh(shCommand([...ECHO, ...NASTY])), NASTY);
    for (const s of NASTY) assert.deepEqual(sh(`${shCommand(ECHO)} ${shQuote(s)}`), [s]);
  });

  it('through su as the server user too (quotes nested in quotes)', async (t) => {
    const user = await resolveServerUser();
    if (user === null) {
      t.skip('pgdr runs servers as the caller here: no su');
      return;
    }
    assert.deepEqual(sh(shCommandAs([...ECHO, ...NASTY], user.name)), NASTY);
    assert.deepEqual(sh(shCommandAs([...ECHO, ...NASTY], null)), NASTY);
  });
});
