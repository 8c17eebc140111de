// Loads the `pgdr serve` dashboard in a real headless Chromium (Debian's, driven by playwright-core) and
// records everything that went wrong on the way: console errors and warnings, page errors, failed requests,
// and any request that left the server (the page must be self-contained).
import { type Browser, chromium, type Page } from 'playwright-core';

export const CHROMIUM = process.env.PGDR_CHROMIUM ?? '/usr/bin/chromium';

export interface LoadedDashboard {
  readonly browser: Browser;
  readonly page: Page;
  /** Console errors/warnings, page errors, failed or foreign requests, non-2xx responses. */
  readonly problems: string[];
  close(): Promise<void>;
}

export async function openDashboard(
  url: string,
  o: { width?: number; height?: number } = {},
): Promise<LoadedDashboard> {
  // Chromium refuses to run its sandbox as root; the tests run as root in CI containers.
  const args = process.getuid?.() === 0 ? ['--no-sandbox'] : [];
  const browser = await chromium.launch({ executablePath: CHROMIUM, args });
  try {
    const page = await browser.newPage({ viewport: { width: o.width ?? 1280, height: o.height ?? 900 } });
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) =>
      problems.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`),
    );
    page.on('request', (r) => {
      if (!r.url().startsWith(url)) problems.push(`foreign request: ${r.url()}`);
    });
    page.on('response', (r) => {
      if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
    });
    await page.goto(url, { waitUntil: 'load' });
    await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
    return { browser, page, problems, close: () => browser.close() };
  } catch (e) {
    await browser.close();
    throw e;
  }
}
