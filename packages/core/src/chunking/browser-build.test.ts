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
 * process, Buffer, require, TextEncoder or crypto. Same input must give the same boundaries.
 */
async function bundleForBrowser(): Promise<string> {
  const entry = `
    import { chunkBuffer, createChunker, seededBytes } from './index.ts';
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
  it('a browser bundle in a bare JS realm yields the same boundaries as Node', async () => {
    const code = await bundleForBrowser();
    expect(code).not.toMatch(/\brequire\(|node:/);
    const realm = vm.createContext({});
    expect(vm.runInContext('[typeof process, typeof Buffer, typeof require, typeof crypto]', realm)).toEqual([
      'undefined',
      'undefined',
      'undefined',
      'undefined',
    ]);
    vm.runInContext(code, realm);
    const run = (expr: string): number[] => JSON.parse(vm.runInContext(expr, realm) as string) as number[];

    expect(run(`chunkSeeded(${golden.length}, ${golden.seed})`)).toEqual(golden.offsets);
    const node = chunkBuffer(seededBytes(3 << 20, 99)).map((c) => c.offset);
    expect(run('chunkSeeded(3 << 20, 99)')).toEqual(node);
    expect(run('chunkStreamed(3 << 20, 99, 4093)')).toEqual(node);
  });
});
