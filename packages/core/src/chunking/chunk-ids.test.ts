import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../errors.ts';
import { identifyChunks, type ChunkHasher } from './chunk-ids.ts';
import { chunkBuffer } from './chunker.ts';
import { seededBytes } from './seeded-bytes.ts';

const sha256: ChunkHasher = (b) => createHash('sha256').update(b).digest('hex');

describe('identifyChunks', () => {
  it('ids are the SHA-256 of each chunk and repeated content gets the same id', () => {
    const block = seededBytes(300 * 1024, 5);
    const file = new Uint8Array(block.length * 2);
    file.set(block, 0);
    file.set(block, block.length);
    const refs = identifyChunks(file, chunkBuffer(file), sha256);
    for (const r of refs) {
      expect(r.id).toBe(sha256(file.slice(r.offset, r.offset + r.length)));
    }
    // The second copy re-aligns with the first, so at least one id repeats.
    expect(new Set(refs.map((r) => r.id)).size).toBeLessThan(refs.length);
    // Known vector: SHA-256 of "abc".
    const abc = identifyChunks(new TextEncoder().encode('abc'), [{ offset: 0, length: 3 }], sha256);
    expect(abc[0]!.id).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('hashes a window of a stream given its base offset', () => {
    const bytes = seededBytes(100, 1);
    const [ref] = identifyChunks(bytes.subarray(40), [{ offset: 50, length: 10 }], sha256, 40);
    expect(ref).toEqual({ id: sha256(bytes.subarray(50, 60)), offset: 50, length: 10 });
  });

  it('rejects boundaries outside the bytes', () => {
    const bytes = new Uint8Array(10);
    expect(() => identifyChunks(bytes, [{ offset: 5, length: 6 }], sha256)).toThrow(InvalidInputError);
    expect(() => identifyChunks(bytes, [{ offset: 0, length: 1 }], sha256, 1)).toThrow(InvalidInputError);
  });
});
