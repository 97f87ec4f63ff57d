import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunkBuffer } from '@steward/core';
import { chunkFile } from './chunk-file.ts';
import { createChunkPool, workerEntry } from './chunk-pool.ts';

const KiB = 1024;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'steward-chunkfile-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Independent reference: the core chunker over the whole buffer, ids hashed here. */
function reference(bytes: Buffer) {
  return chunkBuffer(bytes).map((b) => ({
    id: createHash('sha256').update(bytes.subarray(b.offset, b.offset + b.length)).digest('hex'),
    offset: b.offset,
    length: b.length,
  }));
}

/** Random bytes with constant runs: runs force max-size cuts that may never resync with a segment. */
function mixed(parts: { kind: 'rand' | 'zero'; len: number }[]): Buffer {
  return Buffer.concat(parts.map((p) => (p.kind === 'rand' ? randomBytes(p.len) : Buffer.alloc(p.len, 0))));
}

describe('chunkFile', () => {
  it('split into segments equals whole-file chunking (property, inline pool)', async () => {
    const pool = createChunkPool(0);
    const part = fc.record({ kind: fc.constantFrom<'rand' | 'zero'>('rand', 'zero'), len: fc.integer({ min: 1, max: 700 * KiB }) });
    await fc.assert(
      fc.asyncProperty(fc.array(part, { minLength: 1, maxLength: 6 }), fc.integer({ min: 40 * KiB, max: 400 * KiB }), async (parts, seg) => {
        const bytes = mixed(parts);
        const path = join(dir, 'f.bin');
        await writeFile(path, bytes);
        const r = await chunkFile(pool, path, bytes.length, seg);
        expect(r.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
        expect(r.chunks).toEqual(reference(bytes));
      }),
      { numRuns: 25 },
    );
  });

  it('runs on worker threads with the same result', async () => {
    // Bundled plain JavaScript, no TypeScript loader in the workers (the loader-based boot is the fallback).
    expect(workerEntry().url.protocol).toBe('data:');
    expect(workerEntry().options.execArgv).toEqual([]);
    let progressed = 0;
    const pool = createChunkPool(2, (d) => (progressed += d));
    try {
      const bytes = mixed([{ kind: 'rand', len: 3 << 20 }, { kind: 'zero', len: 1 << 20 }, { kind: 'rand', len: 2 << 20 }]);
      const path = join(dir, 'w.bin');
      await writeFile(path, bytes);
      const r = await chunkFile(pool, path, bytes.length, 1 << 20);
      expect(r.chunks).toEqual(reference(bytes));
      expect(r.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
      expect(progressed).toBe(bytes.length);
    } finally {
      await pool.close();
    }
  });
});
