// The dashboard page: one self-contained HTML document (inline CSS, inline script, SVG drawn in the browser
// from /api/status). Its Content-Security-Policy allows exactly these inline blocks, by hash, and requests to
// this server only: no CDN, no external font, nothing leaves the machine.
import { createHash } from 'node:crypto';
import { CLIENT_FUNCTIONS } from './client.js';
import { OVERVIEW_FUNCTIONS } from './client-overview.js';

const CSS = `
:root { --ok: #15803d; --warn: #b45309; --fail: #b91c1c; --ink: #1f2937; --muted: #6b7280; --line: #e5e7eb; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
  background: #f6f7f9; }
header { background: #111827; color: #f9fafb; padding: 14px 24px; display: flex; gap: 18px; align-items: baseline;
  flex-wrap: wrap; }
header h1 { margin: 0; font-size: 18px; font-weight: 600; }
header .where { color: #9ca3af; font-family: ui-monospace, monospace; font-size: 12px; }
header .refreshed { margin-left: auto; color: #9ca3af; font-size: 12px; }
.verdict { padding: 10px 24px; font-weight: 600; color: #fff; min-height: 40px; }
.verdict.ok { background: var(--ok); } .verdict.warn { background: var(--warn); } .verdict.fail { background: var(--fail); }
main { padding: 8px 24px 32px; max-width: 1280px; margin: 0 auto; }
h2 { font-size: 16px; margin: 26px 0 8px; } h3 { font-size: 14px; margin: 14px 0 4px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(200px, 1fr)); gap: 12px; margin-top: 16px; }
.card { background: #fff; border: 1px solid var(--line); border-left: 5px solid var(--muted); border-radius: 6px;
  padding: 10px 14px; }
.card.ok { border-left-color: var(--ok); } .card.warn { border-left-color: var(--warn); }
.card.fail { border-left-color: var(--fail); }
.card-title { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.card-value { font-size: 24px; font-weight: 650; margin: 2px 0; }
.card-sub { color: var(--muted); font-size: 12px; overflow-wrap: anywhere; }
.card.warn .card-value { color: var(--warn); } .card.fail .card-value { color: var(--fail); }
section { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 4px 18px 14px; margin-top: 16px; }
section h2 { margin-top: 12px; }
.timeline + .timeline { border-top: 1px dashed var(--line); }
svg { width: 100%; height: auto; display: block; }
.tl-svg .wal { fill: #86efac; } .tl-svg .gap { fill: var(--fail); }
.tl-svg .backup rect, .tl-svg .backup path { fill: #1d4ed8; } .tl-svg .backup.unusable rect,
.tl-svg .backup.unusable path { fill: #9ca3af; }
.tl-svg .window { fill: #0ea5e9; fill-opacity: .22; } .tl-svg .window.old { fill: #7dd3fc; fill-opacity: .18; }
.tl-svg .tick { stroke: #9ca3af; }
.blabel { font-size: 12px; fill: #1e3a8a; font-family: ui-monospace, monospace; }
.axis { font-size: 12px; fill: var(--muted); font-family: ui-monospace, monospace; }
.drill-svg .grid { stroke: #9ca3af; } .drill-svg .grid.faint { stroke: var(--line); }
.drill-svg .objective { stroke: var(--fail); stroke-dasharray: 6 4; stroke-width: 1.5; }
.objective-label { fill: var(--fail); }
.drill-svg .trend { fill: none; stroke: #111827; stroke-width: 1.5; }
.drill-svg .rto-point { fill: #111827; stroke: #fff; stroke-width: 1.5; }
.drill-svg .fail-mark { stroke: var(--fail); stroke-width: 3; }
.growth-svg .wal-bar { fill: #86efac; } .growth-svg .total-line { fill: none; stroke: #1d4ed8; stroke-width: 2; }
.growth-svg .grid { stroke: #9ca3af; } .growth-svg .tick { stroke: #9ca3af; } .total-axis { fill: #1d4ed8; }
.legend { color: var(--muted); font-size: 12px; margin: 4px 0; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px; vertical-align: -2px; margin-right: 4px; }
.swatch.wal { background: #86efac; } .swatch.gap { background: var(--fail); } .swatch.backup { background: #1d4ed8; }
.swatch.window { background: #b6e4f8; }
.facts { margin: 4px 0 8px; padding-left: 18px; }
.bad { color: var(--fail); } .caution { color: var(--warn); } .muted { color: var(--muted); }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th { text-align: left; color: var(--muted); font-weight: 500; border-bottom: 1px solid var(--line); padding: 4px 8px; }
td { border-bottom: 1px solid #f3f4f6; padding: 4px 8px; font-variant-numeric: tabular-nums; }
td.note { color: var(--muted); max-width: 420px; overflow-wrap: anywhere; }
.badge { display: inline-block; padding: 0 7px; border-radius: 9px; font-size: 11px; font-weight: 650; color: #fff; }
.badge.ok { background: var(--ok); } .badge.warn { background: var(--warn); } .badge.fail { background: var(--fail); }
.banner { background: #fee2e2; border: 1px solid #fecaca; color: var(--fail); padding: 10px 14px; border-radius: 6px;
  margin-top: 16px; }
a.server-card { display: block; color: inherit; text-decoration: none; }
a.server-card:hover { box-shadow: 0 1px 6px rgba(0, 0, 0, .12); }
.servers { grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); }
.server-verdict { font-weight: 600; margin: 6px 0; }
.facts-grid { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 6px 0 0; font-size: 13px; }
.facts-grid dt { color: var(--muted); } .facts-grid dd { margin: 0; font-variant-numeric: tabular-nums; }
header a { color: #9ca3af; }
footer { color: var(--muted); font-size: 12px; text-align: center; padding: 0 0 24px; }
footer a { color: inherit; }
`;

export interface Page {
  readonly html: string;
  /** The Content-Security-Policy that admits this page's inline style and script only. */
  readonly csp: string;
}

const sha = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

export function dashboardPage(o: { refreshSeconds: number; overviewLink?: boolean }): Page {
  // Under /server/NAME/ when several servers are served: the overview is two folders up.
  const back = o.overviewLink ? '<a href="../../" id="overview-link">all servers</a> · ' : '';
  return pageOf(CLIENT_FUNCTIONS, `dashboardClient(${JSON.stringify(o.refreshSeconds)})`, back);
}

/** The overview of `pgdr serve` with several servers: one card per server, each linking to its dashboard. */
export function overviewPage(o: { refreshSeconds: number }): Page {
  return pageOf(OVERVIEW_FUNCTIONS, `overviewClient(${JSON.stringify(o.refreshSeconds)})`, '');
}

function pageOf(functions: readonly ((...args: never[]) => unknown)[], call: string, back: string): Page {
  // Function declarations inside one IIFE call each other by name, as they do across the client-*.ts modules.
  const body = functions.map((f) => f.toString()).join('\n');
  const script = `(() => {\n'use strict';\n${body}\n${call};\n})();`;
  if (script.includes('</')) throw new Error('the dashboard script must not contain "</"');
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>pgdr dashboard</title>
<link rel="icon" href="data:,">
<style>${CSS}</style>
</head>
<body>
<header><h1>pgdr · <span id="server">…</span></h1><span class="where" id="destination"></span>
<span class="refreshed" id="refreshed">loading…</span></header>
<div class="verdict" id="verdict">loading…</div>
<main id="main"></main>
<footer>read-only · ${back}<a href="metrics">/metrics</a> · <a href="api/status">/api/status</a></footer>
<script>${script}</script>
</body>
</html>
`;
  const csp = [
    "default-src 'none'",
    `script-src ${sha(script)}`,
    `style-src ${sha(CSS)}`,
    "connect-src 'self'",
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return { html, csp };
}
