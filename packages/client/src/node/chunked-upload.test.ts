import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StewardClient } from '../client.ts';
import type { FileChunk } from './chunk-scan.ts';
import { ChunkUploader } from './chunked-upload.ts';

const KiB = 1024;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'steward-upload-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** A fake chunk API that stores what it is sent and can fail uploads on demand. */
function fakeChunks(have = new Set<string>()) {
  const state = { have, uploads: 0, askedIds: 0, failUploads: false };
  const client = {
    chunks: {
      missing: async (ids: string[]) => {
        state.askedIds += ids.length;
        return { missing: ids.filter((id) => !state.have.has(id)) };
      },
      upload: async (body: Uint8Array) => {
        if (state.failUploads) throw Object.assign(new Error('refused'), { status: 422 });
        const b = Buffer.from(body);
        for (let at = 0; at < b.length; ) {
          const len = b.readUInt32BE(at + 32);
          const id = b.subarray(at, at + 32).toString('hex');
          expect(createHash('sha256').update(b.subarray(at + 36, at + 36 + len)).digest('hex')).toBe(id);
          state.have.add(id);
          at += 36 + len;
        }
        state.uploads++;
        return { stored: 0, skipped: 0, bytes: 0 };
      },
    },
  } as unknown as StewardClient;
  return { state, client };
}

async function fileOfChunks(name: string, n: number): Promise<{ path: string; chunks: FileChunk[] }> {
  const bytes = randomBytes(n * 64 * KiB);
  const path = join(dir, name);
  await writeFile(path, bytes);
  const chunks = Array.from({ length: n }, (_, i) => {
    const part = bytes.subarray(i * 64 * KiB, (i + 1) * 64 * KiB);
    return { id: createHash('sha256').update(part).digest('hex'), offset: i * 64 * KiB, length: 64 * KiB };
  });
  return { path, chunks };
}

const until = async (cond: () => boolean) => {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  return cond();
};

describe('ChunkUploader', () => {
  it('uploads while chunks are still being added (before finish), and only what the server lacks', async () => {
    const f = await fileOfChunks('a.bin', 12);
    const { state, client } = fakeChunks(new Set([f.chunks[0]!.id]));
    const up = new ChunkUploader(client, { batchBytes: 256 * KiB, concurrency: 2 });
    up.add(f.path, f.chunks.slice(0, 8));
    expect(await until(() => state.uploads >= 1)).toBe(true); // no finish() yet
    up.add(f.path, f.chunks.slice(8));
    up.add(f.path, f.chunks.slice(0, 2)); // repeats are not asked again
    const stats = await up.finish();
    expect(stats).toEqual({ chunks: 12, chunksUploaded: 11, uploadedBytes: 11 * 64 * KiB });
    expect(state.askedIds).toBe(12);
    expect(f.chunks.every((c) => state.have.has(c.id))).toBe(true);
  });

  it('sends the few chunks queued at once when no request is in flight, and fills batches while one is', async () => {
    const f = await fileOfChunks('trickle.bin', 4);
    const { state, client } = fakeChunks();
    const sizes: number[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const upload = client.chunks.upload.bind(client.chunks);
    client.chunks.upload = async (body: Uint8Array) => {
      sizes.push(body.length);
      if (sizes.length === 1) await gate; // the first request stays in flight
      return upload(body);
    };
    const up = new ChunkUploader(client, { batchBytes: 8 * 1024 * KiB, concurrency: 2 });
    up.add(f.path, f.chunks.slice(0, 1));
    // One chunk, far from a batch: sent at once (a fine-tune's few new chunks, which a recipe check waits for).
    expect(await until(() => sizes.length === 1)).toBe(true);
    up.add(f.path, f.chunks.slice(1, 3));
    await new Promise((r) => setTimeout(r, 100));
    expect(sizes.length).toBe(1); // a request is in flight: the next ones wait to fill a batch
    release();
    expect(await until(() => sizes.length === 2)).toBe(true); // ...until it ends: then together
    up.add(f.path, f.chunks.slice(3));
    await up.finish();
    expect(sizes.map((n) => Math.round(n / (64 * KiB)))).toEqual([1, 2, 1]);
    expect(state.have.size).toBe(4);
  });

  it('finish rejects with the upload failure and stops sending', async () => {
    const f = await fileOfChunks('b.bin', 10);
    const { state, client } = fakeChunks();
    state.failUploads = true;
    const up = new ChunkUploader(client, { batchBytes: 128 * KiB, concurrency: 2, retry: { attempts: 1 } });
    up.add(f.path, f.chunks);
    await expect(up.finish()).rejects.toThrow('refused');
    expect(state.have.size).toBe(0);
  });

  it('reads runs of adjacent chunks in one go, across files, gaps and chunks of odd sizes, into the right frames', async () => {
    // Chunks of uneven lengths; the server already has some (gaps in the runs), and two files interleave.
    const mk = async (name: string, lengths: number[]) => {
      const bytes = randomBytes(lengths.reduce((a, b) => a + b, 0));
      const path = join(dir, name);
      await writeFile(path, bytes);
      let at = 0;
      const chunks = lengths.map((length) => {
        const c = { id: createHash('sha256').update(bytes.subarray(at, at + length)).digest('hex'), offset: at, length };
        at += length;
        return c;
      });
      return { path, chunks };
    };
    const a = await mk('runs-a.bin', [17_001, 40_000, 3, 65_536, 22_222, 9_999, 50_000]);
    const b = await mk('runs-b.bin', [30_000, 30_001, 1, 12_345]);
    const { state, client } = fakeChunks(new Set([a.chunks[2]!.id, b.chunks[1]!.id]));
    const up = new ChunkUploader(client, { batchBytes: 1024 * KiB, concurrency: 1 });
    up.add(a.path, a.chunks.slice(0, 4));
    up.add(b.path, b.chunks);
    up.add(a.path, a.chunks.slice(4));
    const stats = await up.finish();
    // The fake server checks every frame's bytes against its id.
    expect(stats.chunksUploaded).toBe(9);
    expect([...a.chunks, ...b.chunks].every((c) => state.have.has(c.id))).toBe(true);
  });

  it('fails the push when a file shrank after it was chunked', async () => {
    const f = await fileOfChunks('shrinks.bin', 4);
    await writeFile(f.path, randomBytes(2 * 64 * KiB + 100));
    const { client } = fakeChunks();
    const up = new ChunkUploader(client, { batchBytes: 1024 * KiB, retry: { attempts: 1 } });
    up.add(f.path, f.chunks);
    await expect(up.finish()).rejects.toThrow(/changed during the push/);
  });
});
