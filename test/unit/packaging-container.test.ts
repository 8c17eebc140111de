// The image has two recipes: the Containerfile (official Node image, for builders with a registry) and
// build-offline.sh (Debian and npm packages only). Building them takes minutes (packaging/container/test-image.sh),
// so this cheap check keeps them describing the same image: Node major, Debian release, packages, user, entrypoint.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { PGDR_IMAGE_REPOSITORY, PGDR_IMAGE_UID } from '../../src/k8s/pgdr-image.js';

const read = (path: string) => readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8');
const pkg = JSON.parse(read('package.json')) as { version: string; license: string };

interface Instruction {
  readonly op: string;
  readonly args: string;
}

/** The Containerfile's instructions, continuation lines joined, comments dropped. */
function instructions(text: string): Instruction[] {
  const logical = text
    .split('\n')
    .filter((l) => !/^\s*#/.test(l))
    .join('\n')
    .replace(/\\\n/g, ' ');
  return logical
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .map((l) => {
      const m = /^(\S+)\s+(.*)$/.exec(l);
      assert.ok(m, `Containerfile line: ${l}`);
      return { op: (m[1] ?? '').toUpperCase(), args: (m[2] ?? '').replace(/\s+/g, ' ') };
    });
}

/** The top-level shell assignments of build-offline.sh: NAME=value and NAME=(words). */
function assignments(text: string): Map<string, string | string[]> {
  const out = new Map<string, string | string[]>();
  for (const line of text.split('\n')) {
    const arr = /^([A-Z_]+)=\((.*)\)$/.exec(line);
    if (arr?.[1]) out.set(arr[1], (arr[2] ?? '').trim().split(/\s+/));
    const one = /^([A-Z_]+)=(?!\()(.*)$/.exec(line);
    if (one?.[1]) out.set(one[1], (one[2] ?? '').replace(/^'(.*)'$/, '$1').replace(/^"(.*)"$/, '$1'));
  }
  return out;
}

/** The words of the shell command starting with `first` inside a RUN (up to the next && or end). */
function command(run: string, first: string): string[] {
  const at = run.indexOf(`${first} `);
  assert.ok(at >= 0, `no ${first} in: ${run}`);
  return (run.slice(at).split('&&')[0] ?? '').trim().split(' ');
}

const file = instructions(read('packaging/container/Containerfile'));
const script = assignments(read('packaging/container/build-offline.sh'));
const finalStage = file.slice(file.map((i) => i.op).lastIndexOf('FROM'));
const last = (op: string) => finalStage.filter((i) => i.op === op).at(-1)?.args;
const runWith = (word: string) =>
  finalStage.find((i) => i.op === 'RUN' && i.args.includes(`${word} `))?.args ?? '';
const scalar = (name: string) => {
  const v = script.get(name);
  assert.equal(typeof v, 'string', `build-offline.sh sets ${name}`);
  return v as string;
};
const list = (name: string) => {
  const v = script.get(name);
  assert.ok(Array.isArray(v), `build-offline.sh sets ${name}=(...)`);
  return v;
};

describe('packaging/container: the Containerfile and build-offline.sh build the same image', () => {
  it('the same Node major on the same Debian release', () => {
    const froms = file.filter((i) => i.op === 'FROM').map((i) => i.args.split(' ')[0]);
    assert.ok(froms.length > 0);
    for (const f of froms)
      assert.equal(f, `docker.io/library/node:${scalar('NODE_MAJOR')}-${scalar('DEBIAN_SUITE')}-slim`);
  });

  it('the same Debian packages', () => {
    const installed = command(runWith('apt-get install'), 'apt-get install').filter(
      (w, i) => i > 1 && !w.startsWith('-'),
    );
    assert.deepEqual([...installed].sort(), [...list('PACKAGES')].sort());
  });

  it('the same user, made the same way, and the uid the manifests run the pod as', () => {
    assert.deepEqual(command(runWith('useradd'), 'useradd'), list('USER_ADD'));
    assert.equal(last('USER'), scalar('IMAGE_USER'));
    assert.equal(scalar('IMAGE_USER'), `${PGDR_IMAGE_UID}:${PGDR_IMAGE_UID}`);
    const uid = list('USER_ADD')[list('USER_ADD').indexOf('--uid') + 1];
    assert.equal(uid, String(PGDR_IMAGE_UID));
  });

  it('the same working folder, entrypoint and default arguments', () => {
    assert.equal(last('WORKDIR'), scalar('WORKDIR'));
    assert.equal(last('ENTRYPOINT'), scalar('ENTRYPOINT'));
    assert.equal(last('CMD'), scalar('CMD'));
    assert.deepEqual(JSON.parse(scalar('ENTRYPOINT')), ['pgdr']);
  });

  it('the same labels, the name the manifests default to, and the package version', () => {
    const labels = last('LABEL') ?? '';
    assert.match(labels, new RegExp(`org\\.opencontainers\\.image\\.source=${scalar('SOURCE_URL')}( |$)`));
    assert.match(labels, new RegExp(`org\\.opencontainers\\.image\\.licenses=${pkg.license}( |$)`));
    assert.match(labels, /org\.opencontainers\.image\.version="\$\{PGDR_VERSION\}"/);
    assert.ok(
      file.some((i) => i.op === 'ARG' && i.args === `PGDR_VERSION=${pkg.version}`),
      'ARG PGDR_VERSION',
    );
    assert.equal(scalar('IMAGE_REPOSITORY'), PGDR_IMAGE_REPOSITORY);
  });
});
