import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { chunkBuffer } from './chunker.ts';
import golden from './golden-boundaries.json' with { type: 'json' };
import { seededBytes } from './seeded-bytes.ts';

/**
 * Stand-in for a real browser test (to be replaced by a Playwright run once the browser harness
 * exists): bundle the chunking module for `platform: 'browser'` (esbuild refuses node: built-ins
 * there) and run the bundle in a fresh `node:vm` context, which has only ECMAScript globals: no
 * process, Buffer, require, TextEncoder or crypto. Same input must give the same boundaries, with
 * the WebAssembly gear scan and, in a realm without WebAssembly (or a page whose CSP refuses it),
 * with the JS loop it falls back to.
 */
async function bundleForBrowser(): Promise<string> {
  const entry = `
    import { chunkBuffer, createChunker, seededBytes } from './index.ts';
    import { gearScanEngine } from './gear-scan.ts';
    globalThis.engine = gearScanEngine;
    globalThis.chunkSeeded = (length, seed) =>
      JSON.stringify(chunkBuffer(seededBytes(length, seed)).map((c) => c.offset));
    globalThis.chunkStreamed = (length, seed, piece) => {
      const bytes = seededBytes(length, seed);
      const chunker = createChunker();
      const out = [];
      for (let i = 0; i < bytes.length; i += piece) out.push(...chunker.push(bytes.subarray(i, i + piece)));
      out.push(...chunker.finish());
      return JSON.stringify(out.map((c) => c.offset));
    };`;
  const result = await build({
    stdin: { contents: entry, resolveDir: fileURLToPath(new URL('.', import.meta.url)), loader: 'ts' },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

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
