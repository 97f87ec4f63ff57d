import { createHash } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunkBuffer } from './chunker.ts';
import golden from './golden-boundaries.json' with { type: 'json' };
import { seededBytes } from './seeded-bytes.ts';
import { bundleChunkingForBrowser } from '../testing/browser-bundle.ts';
import { launchChromium, openPage, runBrowserSuites } from '../testing/chromium.ts';

/**
 * The chunker in a real browser: the browser bundle loaded into headless Chromium must cut the
 * same chunks as Node, and WebCrypto must give them the same ids, with the WebAssembly gear scan
 * and on a page whose Content-Security-Policy refuses WebAssembly (the JS fallback). Needs Debian's
 * chromium (`apt-get install -y chromium`); skipped without it unless STEWARD_REQUIRE_BROWSER=1,
 * which CI sets.
 */
describe.skipIf(!runBrowserSuites)('chunking in Chromium (playwright-core)', () => {
  let browser: Browser;
  let code: string;
  beforeAll(async () => {
    [browser, code] = await Promise.all([launchChromium(), bundleChunkingForBrowser()]);
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
    const page = await openPage(browser, [code], headers);
    try {
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
