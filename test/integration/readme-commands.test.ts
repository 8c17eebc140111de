// The archive_command and restore_command examples of the README and docs/ work when copied: each one, with its
// placeholders filled in (the pgdr executable, the configuration file), is run the way PostgreSQL runs it --
// /bin/sh, as the server's OS user, in the data folder, with %p and %f substituted and a PATH of the
// server's kind -- against a file:// store, and the WAL file comes back byte for byte.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  chownToServerUser,
  resolveServerUser,
  runAsServerUser,
  type ServerUser,
} from '../../src/postgres/os-user.js';
import { shQuote } from '../../src/shell-quote.js';
import { PGDR_EXE } from '../helpers/cli.js';

const pages = ['README.md', 'docs/configuration.md', 'docs/getting-started.md', 'docs/commands.md'];
const readme = (
  await Promise.all(pages.map((page) => readFile(new URL(`../../../${page}`, import.meta.url), 'utf8')))
).join('\n');
const SEGMENT = '000000010000000000000001';
/** The placeholders the README's examples use, as a DBA would replace them. */
const PGDR_PLACEHOLDER = /(^|\s)(?:\/usr\/local\/bin\/)?pgdr(?= )/;
const CONFIG_PLACEHOLDER = '/etc/pgdr/pgdr.yaml';

/** Every `archive_command = '...'` and `restore_command = '...'` in the text that runs pgdr. */
export function readmeExamples(text: string): Array<{ setting: string; command: string }> {
  const out: Array<{ setting: string; command: string }> = [];
  for (const m of text.matchAll(/\b(archive_command|restore_command)\s*=\s*'([^']*)'/g)) {
    if (/\bpgdr /.test(m[2]!)) out.push({ setting: m[1]!, command: m[2]! });
  }
  return out;
}

describe('README archive_command and restore_command examples', () => {
  let root: string;
  let pgdata: string;
  let cfg: string;
  let user: ServerUser | null;
  let wal: Buffer;
  const examples = readmeExamples(readme);

  before(async () => {
    user = await resolveServerUser();
    root = await mkdtemp(join(tmpdir(), 'pgdr-readme-'));
    await chmod(root, 0o755);
    const repo = join(root, 'repo');
    await mkdir(repo);
    await chownToServerUser(repo, user);
    cfg = join(root, 'pgdr.yaml');
    await writeFile(cfg, `serverName: readme\nobjectStore:\n  destinationPath: file://${repo}\n`, {
      mode: 0o644,
    });
    pgdata = join(root, 'data');
    await mkdir(join(pgdata, 'pg_wal', 'archive_status'), { recursive: true, mode: 0o700 });
    wal = randomBytes(16 * 1024 * 1024);
    await writeFile(join(pgdata, 'pg_wal', SEGMENT), wal);
    await chownToServerUser(pgdata, user, true);
  });
  after(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  /** What PostgreSQL runs: the example with its placeholders and %f/%p filled in, by sh in the data folder. */
  const runExample = async (command: string, p: string) => {
    assert.ok(
      command.includes(`--config ${CONFIG_PLACEHOLDER}`),
      `PostgreSQL runs it in the data folder, where ./pgdr.yaml is not the configuration: pass --config: ${command}`,
    );
    const filled = command
      .replace(PGDR_PLACEHOLDER, `$1${shQuote(PGDR_EXE)}`)
      .replace(CONFIG_PLACEHOLDER, shQuote(cfg))
      .replaceAll('%f', SEGMENT)
      .replaceAll('%p', p);
    const r = await runAsServerUser({
      file: '/bin/sh',
      args: ['-c', filled],
      user,
      cwd: pgdata,
      env: { PATH: '/usr/local/bin:/usr/bin:/bin' },
      timeoutMs: 120_000,
    });
    assert.equal(r.code, 0, `${filled}\n${r.stderr}`);
  };

  it('the pages have both kinds', () => {
    assert.ok(
      examples.some((e) => e.setting === 'archive_command'),
      'an archive_command example',
    );
    assert.ok(
      examples.some((e) => e.setting === 'restore_command'),
      'a restore_command example',
    );
  });

  it('each archive_command stores the segment, each restore_command brings it back unchanged', async () => {
    const archives = examples.filter((e) => e.setting === 'archive_command');
    const restores = examples.filter((e) => e.setting === 'restore_command');
    // Archived again, the same content is a success: every archive example runs.
    for (const e of archives) await runExample(e.command, `pg_wal/${SEGMENT}`);
    for (const e of restores) {
      const dest = join(pgdata, 'pg_wal', 'RECOVERYXLOG');
      await runExample(e.command, 'pg_wal/RECOVERYXLOG');
      assert.ok((await readFile(dest)).equals(wal), `${e.command}: the segment as archived`);
      await rm(dest);
    }
  });
});
