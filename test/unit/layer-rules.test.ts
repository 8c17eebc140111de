// The layer rules of ARCHITECTURE.md live in biome.json (noRestrictedImports per folder) and run in `npm run lint`.
// Each case lints one file in a scratch copy of the layout with the project's own biome.json, so a rule that is
// deleted, misspelt or scoped to the wrong folder fails here rather than letting a cross-layer import through.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIOME = join(ROOT, 'node_modules', '.bin', 'biome');
const scratch = mkdtempSync(join(tmpdir(), 'pgdr-layers-'));
copyFileSync(join(ROOT, 'biome.json'), join(scratch, 'biome.json'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function lint(file: string, from: string, name = 'x'): { code: number | null; out: string } {
  const path = join(scratch, file);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `import { ${name} } from '${from}';\n\nexport const y = ${name};\n`);
  const r = spawnSync(BIOME, ['lint', '--colors=off', file], { cwd: scratch, encoding: 'utf8' });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

function refused(file: string, from: string, name?: string): void {
  const r = lint(file, from, name);
  assert.notEqual(r.code, 0, `${file} importing ${from} passed the lint:\n${r.out}`);
  assert.match(r.out, /noRestrictedImports/);
  assert.match(r.out, /layer rule/);
}

describe('layer rules in the lint step', () => {
  it('refuses src/cli imports outside src/cli', () => {
    refused('src/serve/probe.ts', '../cli/output.js');
    refused('src/drill/probe.ts', '../cli/commands/status.js');
    refused('src/engine/restore/probe.ts', '../../cli/pgdr-command.js');
    refused('src/catalog/probe.ts', '../cli/output.js');
  });

  it('refuses runtime folders from catalog, storage, postgres, compression, tar and http', () => {
    refused('src/storage/s3/probe.ts', '../../engine/status.js');
    refused('src/catalog/probe.ts', '../verify/duration.js');
    refused('src/postgres/probe.ts', '../drill/run-drill.js');
  });

  it('refuses every other layer from src/config, src/common and the files at src/', () => {
    refused('src/config/probe.ts', '../agent/cron.js');
    refused('src/config/probe.ts', '../catalog/retention.js');
    refused('src/common/probe.ts', '../storage/object-store.js');
    refused('src/probe.ts', './cli/bin.js');
  });

  it('refuses the exit-code table (ERRORS) outside src/cli', () => {
    refused('src/verify/probe.ts', '../errors.js', 'ERRORS');
    refused('src/storage/s3/probe.ts', '../../errors.js', 'ERRORS');
    refused('src/config/probe.ts', '../errors.js', 'ERRORS');
  });

  it('lets a layer import the ones below it and its own', () => {
    for (const [file, from, name] of [
      ['src/cli/commands/probe.ts', '../../engine/status.js'],
      ['src/engine/probe.ts', '../catalog/backup-catalog.js'],
      ['src/catalog/probe.ts', '../config/types.js'],
      ['src/config/probe.ts', '../common/duration.js'],
      ['src/verify/probe.ts', '../errors.js', 'PgdrError'],
      ['src/cli/probe.ts', '../errors.js', 'ERRORS'],
    ] as const) {
      const r = lint(file, from, name);
      assert.equal(r.code, 0, `${file} importing ${from} was refused:\n${r.out}`);
    }
  });
});
