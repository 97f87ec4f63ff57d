import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

/**
 * Test support for browser tests: Debian's Chromium (`apt-get install -y chromium`) driven by
 * playwright-core, which downloads nothing. Suites skip without it unless
 * STEWARD_REQUIRE_BROWSER=1 (CI), where its absence fails them.
 */
export const CHROMIUM = process.env.STEWARD_CHROMIUM ?? '/usr/bin/chromium';
export const chromiumRequired = process.env.STEWARD_REQUIRE_BROWSER === '1';
/** Whether a suite runs: Chromium is there, or it is required (and its absence then fails it). */
export const runBrowserSuites = existsSync(CHROMIUM) || chromiumRequired;

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`STEWARD_REQUIRE_BROWSER=1 but ${CHROMIUM} is missing (apt-get install -y chromium)`);
  return chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
}

/**
 * A page at an https address answered in the test (no network): a secure context, so WebCrypto is
 * there. `headers` go with the page (a Content-Security-Policy, say); `scripts` are then run in it,
 * in order. Uncaught page errors fail the call.
 */
export async function openPage(browser: Browser, scripts: string[], headers: Record<string, string> = {}): Promise<Page> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.route('https://steward.test/', (r) => r.fulfill({ contentType: 'text/html', headers, body: '<!doctype html><html><body></body></html>' }));
  await page.goto('https://steward.test/');
  for (const content of scripts) await page.addScriptTag({ content });
  if (errors.length) throw new Error(`the page threw: ${errors.join('; ')}`);
  return page;
}
