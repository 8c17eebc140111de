// Some things pgdr does in exactly one module, so that a fix (a timeout, an application_name, an fsync) reaches
// every caller: each row names a pattern and the only files under src/ allowed to contain it.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../../../src/', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Files under src/ (relative, with /) whose code, comments aside, matches `pattern`. */
export function filesMatching(pattern: RegExp, root = SRC): string[] {
  return sources(root)
    .filter((f) =>
      pattern.test(
        readFileSync(f, 'utf8')
          .split('\n')
          .filter((l) => !/^\s*(\/\/|\*|\/\*)/.test(l))
          .join('\n'),
      ),
    )
    .map((f) => relative(root, f).split('\\').join('/'))
    .sort();
}

const RULES: { what: string; pattern: RegExp; only: string[] }[] = [
  {
    what: 'PostgreSQL sessions (timeouts, application_name, error codes)',
    pattern: /new\s+(pg\.)?(Client|Pool)\s*\(/,
    only: ['postgres/connect.ts'],
  },
  {
    what: "the current-timeline query (pg_walfile_name of the current LSN, or the checkpoint's timeline_id)",
    pattern: /pg_walfile_name\(pg_current_wal_lsn\(\)\), 1, 8\)/,
    only: ['postgres/timeline.ts'],
  },
  {
    what: 'pg_ctl stop, restart and status (waiting, timeouts, the error a DBA sees)',
    pattern: /\[\s*'(stop|restart|status)',\s*'-D'/,
    only: ['postgres/pg-ctl.ts'],
  },
  {
    what: 'the retry loop of the cloud drivers (attempts, full-jitter backoff, the operation deadline)',
    pattern: /2 \*\* \(attempt - 1\)/,
    only: ['storage/retry.ts'],
  },
  {
    what: "a cloud driver's abortable HTTP request",
    pattern: /new Promise<IncomingMessage>/,
    only: ['storage/exchange.ts'],
  },
  {
    what: "a cloud driver's put guard (a CONFLICT before uploading)",
    pattern: /already exists`, \{ hint: 'it was not overwritten' \}/,
    only: ['storage/fs/fs-store.ts', 'storage/put-guard.ts'],
  },
];

describe('one way to do each thing', () => {
  for (const rule of RULES) {
    it(`${rule.what}: only in ${rule.only.join(', ')}`, () => {
      assert.deepEqual(filesMatching(rule.pattern), rule.only);
    });
  }
});
