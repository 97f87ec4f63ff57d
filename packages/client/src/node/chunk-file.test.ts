import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunkBuffer } from '@steward/core';
import { chunkFile, DEFAULT_SEGMENT_BYTES, MIN_SEGMENT_BYTES, segmentBytesFor } from './chunk-file.ts';
import { createChunkPool, workerEntry, type ChunkPool } from './chunk-pool.ts';
import { runChunkTask } from './chunk-task.ts';

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
  it('segments: 64 MiB for big files; smaller files still in 2 per core, down to 12 MiB (under 24 MiB: one task)', () => {
    const MiB = 1024 * KiB;
    expect(segmentBytesFor(4096 * MiB, 2)).toBe(DEFAULT_SEGMENT_BYTES);
    expect(segmentBytesFor(256 * MiB, 2)).toBe(64 * MiB);
    expect(segmentBytesFor(100 * MiB, 2)).toBe(25 * MiB); // 4 segments: both cores busy
    expect(segmentBytesFor(100 * MiB + 1, 2)).toBe(26 * MiB); // whole MiB, so still 4
    expect(segmentBytesFor(100 * MiB, 8)).toBe(MIN_SEGMENT_BYTES);
    expect(segmentBytesFor(20 * MiB, 2)).toBe(MIN_SEGMENT_BYTES); // 20 < 2 × 12 MiB: chunkFile runs one task
  });

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

  it('reads the same with blocking reads (as in the workers) as with async ones', async () => {
    const bytes = mixed([{ kind: 'rand', len: 2500 * KiB }, { kind: 'zero', len: 300 * KiB }]);
    const path = join(dir, 'blocking.bin');
    await writeFile(path, bytes);
    const whole = { kind: 'scan', path, from: 0, to: bytes.length, final: true, wholeHash: true } as const;
    const tasks = [whole, { kind: 'scan', path, from: 700 * KiB, to: 2100 * KiB, final: false, wholeHash: false }, { kind: 'sha', path }] as const;
    for (const task of tasks) expect(await runChunkTask(task, undefined, true)).toEqual(await runChunkTask(task));
    const r = await runChunkTask(whole, undefined, true);
    expect(r.chunks).toEqual(reference(bytes));
    expect(r.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    await expect(runChunkTask({ kind: 'sha', path: join(dir, 'missing.bin') }, undefined, true)).rejects.toThrow(/ENOENT/);
  });

  it('runs on worker threads with the same result', async () => {
    // Bundled plain JavaScript, no TypeScript loader in the workers (the loader-based boot is the
    // fallback), kept in $STEWARD_HOME's cache for the next process (chunk-worker-bundle.test.ts).
    const entry = workerEntry({ STEWARD_HOME: join(dir, 'home') });
    expect(entry.url.href).toMatch(new RegExp(`^${pathToFileURL(join(dir, 'home', 'cache', 'chunk-worker')).href}/chunk-worker-[0-9a-f]{16}\\.mjs$`));
    expect(entry.options.execArgv).toEqual([]);
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

  it('hands out the chunks of each segment, in file order, as soon as it and the ones before it are done', async () => {
    const bytes = randomBytes(4 << 20);
    const path = join(dir, 's.bin');
    await writeFile(path, bytes);
    // A pool that holds every segment after the first until released.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const pool: ChunkPool = {
      run: async (task) => {
        if (task.kind === 'scan' && task.from > 0) await gate;
        return runChunkTask(task);
      },
      close: async () => undefined,
    };
    const seen: number[][] = [];
    const done = chunkFile(pool, path, bytes.length, 1 << 20, (c) => seen.push(c.map((x) => x.offset)));
    for (let i = 0; i < 200 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(seen.length).toBe(1); // segment 0, while the others are still held
    expect(seen[0]![0]).toBe(0);
    release();
    const r = await done;
    expect(seen.flat()).toEqual(r.chunks.map((c) => c.offset));
    expect(r.chunks).toEqual(reference(bytes));
  });
});
