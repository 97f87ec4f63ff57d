import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PartChunker } from './part-chunker.ts';

describe('PartChunker', () => {
  it('cuts any chunk sequence into full parts plus a short tail, preserving bytes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.array(fc.uint8Array({ maxLength: 120 }), { maxLength: 30 }),
        (partSize, chunks) => {
          const c = new PartChunker(partSize);
          const parts: Buffer[] = [];
          for (const ch of chunks) {
            parts.push(...c.push(Buffer.from(ch)));
            expect(c.bufferedBytes).toBeLessThan(partSize);
          }
          const tail = c.flush();
          for (const p of parts) expect(p.byteLength).toBe(partSize);
          expect(tail.byteLength).toBeLessThan(partSize);
          const input = Buffer.concat(chunks.map((x) => Buffer.from(x)));
          expect(Buffer.concat([...parts, tail]).equals(input)).toBe(true);
          expect(parts.length).toBe(Math.floor(input.byteLength / partSize));
        },
      ),
    );
  });

  it('does not alias the caller buffer for the buffered tail', () => {
    const c = new PartChunker(8);
    const src = Buffer.from([1, 2, 3]);
    c.push(src);
    src.fill(9);
    expect([...c.flush()]).toEqual([1, 2, 3]);
  });
});
