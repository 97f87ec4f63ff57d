import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchChromium, openPage, runBrowserSuites } from '../testing/chromium.ts';
import { bucketOf } from './bucket.ts';
import { resolve } from './resolve.ts';
import type { RoutingTable, UnitContext } from './types.ts';

// The routing module bundled for browsers (esbuild, platform=browser) and run in a bare V8 context:
// no process, Buffer, TextEncoder, require or module. It must give the same answers as Node.

const table: RoutingTable = {
  stable: '1.1.0',
  variants: { android: 'int8', '*': 'default' },
  candidate: {
    rolloutId: 'canary-7',
    version: '1.2.0',
    weightBps: 3300,
    constraints: [{ attribute: 'appVersion', op: 'semver', value: '>=2.0.0' }],
  },
  overrides: {
    ios: {
      stable: '1.1.0',
      candidate: {
        rolloutId: 'ab-3',
        arms: [
          { name: 'b', version: '1.2.0', weightBps: 2500, startBps: 0 },
          { name: 'c', version: '1.2.0', variant: 'coreml', weightBps: 2500, startBps: 5000 },
        ],
      },
    },
  },
};

const PLATFORMS = ['android', 'ios', 'web', undefined];
const N = 10_000;

function cases(): Array<{ key: string; ctx: UnitContext }> {
  const out = [];
  for (let i = 0; i < N; i++) {
    // Mix ASCII, 2-, 3- and 4-byte UTF-8 so the hand-written encoder is exercised in both builds.
    const key = i % 7 === 0 ? `ü-${i}-日本-🙂` : `user-${i}`;
    out.push({ key, ctx: { platform: PLATFORMS[i % 4], appVersion: i % 3 === 0 ? '1.9.0' : '2.1.0' } });
  }
  return out;
}

async function bundle(): Promise<string> {
  const entry = fileURLToPath(new URL('./index.ts', import.meta.url));
  const out = await build({ entryPoints: [entry], bundle: true, write: false, format: 'iife', globalName: 'Routing', platform: 'browser', target: 'es2020', logLevel: 'silent' });
  return out.outputFiles[0]!.text;
}

describe('browser build', () => {
  it('resolves 10k units exactly like Node, in a context without Node globals', async () => {
    const code = await bundle();
    const context = vm.createContext({ input: JSON.stringify({ table, cases: cases() }) });
    const probe = vm.runInContext('[typeof process, typeof Buffer, typeof TextEncoder, typeof require].join()', context);
    expect(probe).toBe('undefined,undefined,undefined,undefined');
    vm.runInContext(code, context);
    const fromBrowser = JSON.parse(
      vm.runInContext(
        `(() => { const { table, cases } = JSON.parse(input);
          return JSON.stringify(cases.map(({ key, ctx }) => [Routing.bucketOf('canary-7', key), Routing.resolve(table, key, ctx)])); })()`,
        context,
      ) as string,
    ) as unknown[];
    const fromNode = cases().map(({ key, ctx }) => [bucketOf('canary-7', key), resolve(table, key, ctx)]);
    expect(fromBrowser).toHaveLength(N);
    expect(fromBrowser).toEqual(fromNode);
    // The sample reaches every branch, so equality is not trivially about stable answers.
    const arms = new Set(fromNode.map(([, d]) => (d as { arm: string }).arm));
    expect([...arms].sort()).toEqual(['b', 'c', 'candidate', 'stable']);
  });
});

describe.skipIf(!runBrowserSuites)('in Chromium (playwright-core)', () => {
  let browser: Browser | undefined;
  afterAll(async () => {
    await browser?.close();
  });

  it('resolves 10k units exactly like Node', async () => {
    browser = await launchChromium();
    const page = await openPage(browser, [await bundle()]);
    const input = JSON.stringify({ table, cases: cases() });
    const fromBrowser = JSON.parse(
      await page.evaluate((text) => {
        const { table, cases } = JSON.parse(text) as { table: RoutingTable; cases: { key: string; ctx: UnitContext }[] };
        const r = (globalThis as unknown as { Routing: { bucketOf: typeof bucketOf; resolve: typeof resolve } }).Routing;
        return JSON.stringify(cases.map(({ key, ctx }) => [r.bucketOf('canary-7', key), r.resolve(table, key, ctx)]));
      }, input),
    ) as unknown[];
    expect(fromBrowser).toEqual(cases().map(({ key, ctx }) => [bucketOf('canary-7', key), resolve(table, key, ctx)]));
  });
});
