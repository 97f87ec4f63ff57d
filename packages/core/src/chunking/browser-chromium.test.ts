import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunkBuffer } from './chunker.ts';
import golden from './golden-boundaries.json' with { type: 'json' };
import { seededBytes } from './seeded-bytes.ts';
import { bundleChunkingForBrowser } from '../testing/browser-bundle.ts';

/**
 * The chunker in a real browser: the browser bundle loaded into headless Chromium must cut the
 * same chunks as Node, and WebCrypto must give them the same ids, with the WebAssembly gear scan
 * and on a page whose Content-Security-Policy refuses WebAssembly (the JS fallback). Needs Debian's
 * chromium (`apt-get install -y chromium`); skipped without it unless STEWARD_REQUIRE_BROWSER=1,
 * which CI sets.
 */
const CHROMIUM = process.env.STEWARD_CHROMIUM ?? '/usr/bin/chromium';
const required = process.env.STEWARD_REQUIRE_BROWSER === '1';
const present = existsSync(CHROMIUM);

describe.skipIf(!present && !required)('chunking in Chromium (playwright-core)', () => {
  let browser: Browser;
  let code: string;
  beforeAll(async () => {
    if (!present) throw new Error(`STEWARD_REQUIRE_BROWSER=1 but ${CHROMIUM} is missing (apt-get install -y chromium)`);
    [browser, code] = await Promise.all([
      chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] }),
      bundleChunkingForBrowser(),
    ]);
  });
  afterAll(async () => {
    await browser?.close();
  });

  const node = chunkBuffer(seededBytes(3 << 20, 99)).map((c) => c.offset);
  const nodeIds = (() => {
    const bytes = seededBytes(1 << 20, 5);
    return chunkBuffer(bytes).map((c) => [c.offset, c.length, createHash('sha256').update(bytes.subarray(c.offset, c.offset + c.length)).digest('hex')]);
  })();

  it.each([
    ['WebAssembly', 'wasm', {}],
    // No 'wasm-unsafe-eval': the page may run its inline script but not compile WebAssembly.
    ['a CSP that refuses WebAssembly', 'js', { 'content-security-policy': "script-src 'unsafe-inline'" }],
  ])('cuts the same chunks with the same SHA-256 ids as Node (%s)', async (_, engine, headers: Record<string, string>) => {
    const page = await browser.newPage();
    try {
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      // An https page (answered here, no network), so it is a secure context with WebCrypto.
      await page.route('https://steward.test/', (r) => r.fulfill({ contentType: 'text/html', headers, body: '<!doctype html><html><body></body></html>' }));
      await page.goto('https://steward.test/');
      await page.addScriptTag({ content: code });
      expect(errors).toEqual([]);
      expect(await page.evaluate('engine()')).toBe(engine);
      const run = async (expr: string) => JSON.parse((await page.evaluate(expr)) as string) as unknown;
      expect(await run(`chunkSeeded(${golden.length}, ${golden.seed})`)).toEqual(golden.offsets);
      expect(await run('chunkSeeded(3 << 20, 99)')).toEqual(node);
      expect(await run('chunkStreamed(3 << 20, 99, 4093)')).toEqual(node);
      expect(await run('chunkIds(1 << 20, 5)')).toEqual(nodeIds);
    } finally {
      await page.close();
    }
  });
});
