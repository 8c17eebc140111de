// Runs the compiled tests with node's own runner. Integration tests share ports and servers with care,
// so files run one at a time; unit files are fast either way.
//
//   node scripts/test.mjs                     every suite on this node, then unit and e2e on the other NODE_LINES
//   node scripts/test.mjs unit e2e            those suites on this node only
//   node scripts/test.mjs --node 24 unit e2e  those suites on Node.js 24 (from the npm registry)
//
// NODE_LINES are the Node.js lines pgdr supports, from package.json's engines up. This node (the machine's) runs
// the full suite; the other lines run the suites that start the CLI, pack and install the package and play the
// demo, and the unit tests, except SAME_ON_EVERY_LINE: files whose every pgdr call runs on a node of their own
// (not the one running the test), so that a second line would repeat the very same runs.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const NODE_LINES = [20, 22, 24];
const ALL_SUITES = ['unit', 'integration', 'e2e'];
/** node-version: pgdr started on a Node.js older than it supports, fetched for the test. */
const SAME_ON_EVERY_LINE = new Set([join('dist', 'test', 'e2e', 'node-version.test.js')]);

function testFiles(suites) {
  const files = [];
  const walk = (dir) => {
    let entries;
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of entries.sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.test.js')) files.push(p);
    }
  };
  for (const s of suites) walk(join('dist', 'test', s));
  if (files.length === 0) {
    console.error('no test files found under', suites.map((s) => join('dist', 'test', s)).join(', '));
    process.exit(1);
  }
  return files;
}

/** Runs the suites on one node; the tests start pgdr with process.execPath, so they all run on that node. */
function run(node, suites, files = testFiles(suites)) {
  const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
  console.log(`\n# node ${version}: ${suites.join(', ')}`);
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'pgdr-test-failures-'));
  const failuresFile = join(dir, 'failures.txt');
  const reporters = [
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    `--test-reporter=${resolve('scripts', 'failures-reporter.mjs')}`,
    `--test-reporter-destination=${failuresFile}`,
  ];
  const r = spawnSync(node, ['--test', '--test-concurrency=1', ...reporters, ...files], { stdio: 'inherit' });
  let failed = [];
  try {
    failed = readFileSync(failuresFile, 'utf8')
      .split('\n')
      .filter((l) => l !== '');
  } catch {}
  rmSync(dir, { recursive: true, force: true });
  const seconds = Math.round((Date.now() - started) / 1000);
  return { version, suites, status: r.status ?? 1, seconds, failed };
}

async function otherNode(major) {
  // Compiled by `npm run build`, which npm test and test:unit run first.
  const { nodeBinary } = await import('../dist/test/helpers/node-binary.js');
  return nodeBinary(major);
}

const argv = process.argv.slice(2);
const nodeAt = argv.indexOf('--node');
const major = nodeAt >= 0 ? Number(argv[nodeAt + 1]) : undefined;
const suites = argv.filter((_, i) => nodeAt < 0 || (i !== nodeAt && i !== nodeAt + 1));
if (major !== undefined && !Number.isInteger(major)) {
  console.error('usage: node scripts/test.mjs [--node MAJOR] [unit|integration|e2e ...]');
  process.exit(2);
}

const runs = [];
if (major !== undefined) runs.push(run(await otherNode(major), suites.length ? suites : ALL_SUITES));
else if (suites.length) runs.push(run(process.execPath, suites));
else {
  runs.push(run(process.execPath, ALL_SUITES));
  const here = Number(process.versions.node.split('.')[0]);
  const lineFiles = testFiles(['unit', 'e2e']).filter((f) => !SAME_ON_EVERY_LINE.has(f));
  for (const m of NODE_LINES.filter((l) => l !== here))
    runs.push(run(await otherNode(m), ['unit', 'e2e'], lineFiles));
}
// The summary comes last, where a reader of a long log looks first: each run, and every test that failed.
if (runs.length > 1 || runs.some((r) => r.failed.length > 0)) {
  console.log('\n# summary');
  for (const r of runs) {
    console.log(
      `# node ${r.version} (${r.suites.join(', ')}): ${r.status === 0 ? 'passed' : 'FAILED'} in ${r.seconds} s`,
    );
    for (const f of r.failed) console.log(`#   failed: ${f}`);
  }
}
process.exit(runs.find((r) => r.status !== 0)?.status ?? 0);
