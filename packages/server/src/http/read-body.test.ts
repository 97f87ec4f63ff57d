import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { readBounded } from './read-body.ts';

describe('readBounded', () => {
  async function* pieces(...ps: Buffer[]) {
    yield* ps;
  }
  const a = randomBytes(1000);
  const b = randomBytes(3000);

  it('reads a body whole, with or without its Content-Length', async () => {
    expect((await readBounded(pieces(a, b), 10_000, 4000)).equals(Buffer.concat([a, b]))).toBe(true);
    expect((await readBounded(pieces(a, b), 10_000)).equals(Buffer.concat([a, b]))).toBe(true);
  });

  it('refuses a body over the limit, or not matching its Content-Length', async () => {
    await expect(readBounded(pieces(a, b), 3999)).rejects.toMatchObject({ code: 'payload_too_large' });
    await expect(readBounded(pieces(a, b), 3999, 4000)).rejects.toMatchObject({ code: 'payload_too_large' });
    await expect(readBounded(pieces(a), 10_000, 4000)).rejects.toMatchObject({ code: 'truncated_batch', status: 400 });
    await expect(readBounded(pieces(a, b), 10_000, 3500)).rejects.toMatchObject({ code: 'truncated_batch', status: 400 });
  });
});
