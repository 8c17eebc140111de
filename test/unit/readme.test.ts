// The README and docs/ are the contract newcomers and scripts read: every command and every exit code is
// documented, and every link between the pages leads somewhere.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { COMMAND_NAMES } from '../../src/cli/main.js';
import { ERRORS } from '../../src/errors.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const doc = (name: string) => readFileSync(join(root, 'docs', name), 'utf8');

function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? markdownFiles(join(dir, e.name)) : e.name.endsWith('.md') ? [join(dir, e.name)] : [],
  );
}

it('README opens with exactly the two commands: the main job and the tests', () => {
  const blocks = [...readme.matchAll(/```sh\n([^`]*)```/g)].slice(0, 2).map((m) => m[1]?.trim());
  assert.deepEqual(blocks, ['npm ci && npm run demo', 'bash scripts/setup.sh && npm ci && npm test']);
  assert.ok(readme.indexOf('```sh') < readme.indexOf('## '), 'the commands come before any section');
});

it('the troubleshooting page lists every exit code with its number, and its causes and fixes', () => {
  const page = doc('troubleshooting.md');
  for (const [name, spec] of Object.entries(ERRORS)) {
    assert.match(page, new RegExp(`^\\| ${spec.exitCode} ${name} \\|`, 'm'), `causes of ${name}`);
    assert.match(
      page,
      new RegExp(`^\\| ${spec.exitCode} \\| ${name} \\|`, 'm'),
      `${name} (${spec.exitCode})`,
    );
  }
});

it('the commands page documents every command', () => {
  const page = doc('commands.md');
  for (const name of COMMAND_NAMES) assert.match(page, new RegExp(`\`pgdr ${name}[ \`]`), name);
});

it('every relative link of the README and docs/ names a file that exists, and an anchor it holds', () => {
  const files = [
    join(root, 'README.md'),
    join(root, 'ARCHITECTURE.md'),
    ...markdownFiles(join(root, 'docs')),
  ];
  for (const file of files.filter((f) => existsSync(f))) {
    const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target!)) continue;
      const [path, anchor] = target!.split('#');
      const dest = path ? join(dirname(file), path) : file;
      assert.ok(existsSync(dest), `${file}: ${target} leads nowhere`);
      if (anchor && dest.endsWith('.md')) {
        const slugs = [...readFileSync(dest, 'utf8').matchAll(/^#+ (.+)$/gm)].map((m) =>
          m[1]!
            .toLowerCase()
            .replace(/[^a-z0-9 -]/g, '')
            .replace(/ /g, '-'),
        );
        assert.ok(slugs.includes(anchor), `${file}: ${target}: no heading #${anchor}`);
      }
    }
  }
});

it('the README links every page of docs/', () => {
  for (const file of markdownFiles(join(root, 'docs'))) {
    const rel = file.slice(root.length);
    assert.ok(readme.includes(`](${rel})`), `${rel} is not linked from the README`);
  }
});
