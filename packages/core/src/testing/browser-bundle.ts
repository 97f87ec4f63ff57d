import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/**
 * Test support: the chunking module bundled for browsers (esbuild, `platform: 'browser'`, which
 * refuses node: built-ins) as one IIFE script that sets globals a test calls from outside:
 * - `engine()`: which gear scan runs, 'wasm' or 'js' (the fallback where WebAssembly is absent or
 *   a page's CSP refuses it);
 * - `chunkSeeded(length, seed)`, `chunkStreamed(length, seed, piece)`: JSON of the chunk offsets of
 *   seededBytes(length, seed), in one call or pushed `piece` bytes at a time;
 * - `chunkIds(length, seed)`: a promise of JSON `[offset, length, id][]`, ids the SHA-256 of each
 *   chunk by WebCrypto (a real browser only: a bare JS realm has no crypto).
 */
export async function bundleChunkingForBrowser(): Promise<string> {
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
    };
    globalThis.chunkIds = async (length, seed) => {
      const bytes = seededBytes(length, seed);
      const out = [];
      for (const c of chunkBuffer(bytes)) {
        const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes.subarray(c.offset, c.offset + c.length)));
        out.push([c.offset, c.length, Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('')]);
      }
      return JSON.stringify(out);
    };`;
  const result = await build({
    stdin: { contents: entry, resolveDir: fileURLToPath(new URL('../chunking/', import.meta.url)), loader: 'ts' },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}
