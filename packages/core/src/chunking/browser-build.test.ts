import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { chunkBuffer } from './chunker.ts';
import golden from './golden-boundaries.json' with { type: 'json' };
import { seededBytes } from './seeded-bytes.ts';
import { bundleChunkingForBrowser as bundleForBrowser } from '../testing/browser-bundle.ts';

/**
 * The chunking module bundled for browsers, run in a fresh `node:vm` context, which has only
 * ECMAScript globals: no process, Buffer, require, TextEncoder or crypto (so the bundle needs
 * none). Same input must give the same boundaries, with the WebAssembly gear scan and, in a realm
 * without WebAssembly, with the JS loop it falls back to. The same bundle runs in Chromium in
 * browser-chromium.test.ts.
 */
describe('browser build equivalence (node:vm stand-in)', () => {
  it.each([
    ['WebAssembly', 'wasm'],
    ['no WebAssembly', 'js'],
  ])('a browser bundle in a bare JS realm (%s) yields the same boundaries as Node', async (_, engine) => {
    const code = await bundleForBrowser();
    expect(code).not.toMatch(/\brequire\(|node:/);
    const realm = vm.createContext({});
    expect(vm.runInContext('[typeof process, typeof Buffer, typeof require, typeof crypto]', realm)).toEqual([
      'undefined',
      'undefined',
      'undefined',
      'undefined',
    ]);
    if (engine === 'js') vm.runInContext('delete globalThis.WebAssembly', realm);
    vm.runInContext(code, realm);
    expect(vm.runInContext('engine()', realm)).toBe(engine);
    const run = (expr: string): number[] => JSON.parse(vm.runInContext(expr, realm) as string) as number[];

    expect(run(`chunkSeeded(${golden.length}, ${golden.seed})`)).toEqual(golden.offsets);
    const node = chunkBuffer(seededBytes(3 << 20, 99)).map((c) => c.offset);
    expect(run('chunkSeeded(3 << 20, 99)')).toEqual(node);
    expect(run('chunkStreamed(3 << 20, 99, 4093)')).toEqual(node);
  });
});
