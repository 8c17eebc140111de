// `pgdr backup create` as a test's set-up runs it: it must succeed, within a bound a large cluster still meets.
import assert from 'node:assert/strict';
import { type CliResult, runPgdr } from './cli.js';

/** `pgdr backup create --config CONFIG ARGS`, which must exit 0. */
export async function backupCreate(config: string, args: readonly string[] = []): Promise<CliResult> {
  const r = await runPgdr(['backup', 'create', '--config', config, ...args], { timeoutMs: 300_000 });
  assert.equal(r.code, 0, r.stderr);
  return r;
}

/** The same with --format json: what it printed. */
export async function backupJson(
  config: string,
  args: readonly string[] = [],
): Promise<Record<string, unknown>> {
  const r = await backupCreate(config, ['--format', 'json', ...args]);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}
