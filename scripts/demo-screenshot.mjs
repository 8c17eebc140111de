// Renders `pgdr demo` as a terminal shows it: runs the demo in a tmux pane (a real terminal, so progress lines
// redraw in place), captures the pane with its colours, and takes a screenshot of it with headless Chromium
// into docs/demo.png. Needs tmux and chromium (`bash scripts/setup.sh` installs chromium). After
// `npm run build`:   node scripts/demo-screenshot.mjs [OUT.png]
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = process.argv[2] ?? `${root}docs/demo.png`;
const session = `pgdr-demo-${process.pid}`;
const tmux = (...args) => execFileSync('tmux', ['-L', session, ...args], { encoding: 'utf8' });

tmux(
  'new-session',
  '-d',
  '-x',
  '150',
  '-y',
  '110',
  '-c',
  root,
  `node dist/src/cli/bin.js demo; echo "[pgdr demo exited with $?]"; sleep 3600`,
);
let text = '';
try {
  const deadline = Date.now() + 15 * 60_000;
  while (!/\[pgdr demo exited with \d+\]/.test(text)) {
    if (Date.now() > deadline) throw new Error(`pgdr demo did not end within 15 minutes:\n${text}`);
    await new Promise((r) => setTimeout(r, 2000));
    text = tmux('capture-pane', '-p', '-e', '-J', '-S', '-', '-E', '-');
  }
} finally {
  tmux('kill-server');
}
const code = Number(/\[pgdr demo exited with (\d+)\]/.exec(text)[1]);
const lines = text.replace(/\n*\[pgdr demo exited with \d+\][\s\S]*$/, '').split('\n');

const COLOURS = ['#1e1e1e', '#e06c75', '#98c379', '#e5c07b', '#61afef', '#c678dd', '#56b6c2', '#dcdfe4'];
const escapeHtml = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
/** SGR colour and bold codes to spans; everything else is dropped. */
function toHtml(line) {
  let html = '';
  let open = false;
  for (const part of line.split(/(\x1b\[[0-9;]*m)/)) {
    const m = /^\x1b\[([0-9;]*)m$/.exec(part);
    if (!m) {
      html += escapeHtml(part.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, ''));
      continue;
    }
    if (open) html += '</span>';
    open = false;
    const style = [];
    for (const n of m[1].split(';').map(Number)) {
      if (n === 1) style.push('font-weight:bold');
      else if (n >= 30 && n <= 37) style.push(`color:${COLOURS[n - 30]}`);
      else if (n >= 90 && n <= 97) style.push(`color:${COLOURS[n - 90]}`);
    }
    if (style.length > 0) {
      html += `<span style="${style.join(';')}">`;
      open = true;
    }
  }
  return open ? `${html}</span>` : html;
}

const page = `<!doctype html><meta charset="utf-8"><style>
body{margin:0;background:#282c34}
pre{margin:0;padding:18px 22px;color:#dcdfe4;font:13px/1.35 "DejaVu Sans Mono",monospace;white-space:pre}
</style><pre>${lines.map(toHtml).join('\n')}</pre>`;
const browser = await chromium.launch({
  executablePath: process.env.PGDR_CHROMIUM ?? '/usr/bin/chromium',
  args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
});
try {
  const tab = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  await tab.setContent(page);
  const box = await tab.locator('pre').boundingBox();
  await tab.setViewportSize({ width: Math.ceil(box.width), height: 800 });
  await tab.screenshot({ path: out, fullPage: true });
} finally {
  await browser.close();
}
console.log(`${out}: ${lines.length} lines of pgdr demo (exit ${code})`);
process.exitCode = code;
