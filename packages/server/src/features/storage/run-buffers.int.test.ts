import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../../testing/api-harness.ts';
import { testDbTargets } from '../../testing/test-dbs.ts';
import { readChunks, type ReadChunk } from './chunk-reader.ts';
import { RunBuffers } from './run-buffers.ts';
import { storageDb } from './storage.tables.ts';

// Reading chunks into lent buffers is dialect-independent: SQLite is enough.
const sqlite = testDbTargets().find((t) => t.name === 'sqlite')!;

describe('chunks read into lent run buffers', () => {
  let h: Harness;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    const t = await sqlite.create!();
    cleanup = t.cleanup;
    process.env.STEWARD_PACK_SIZE = String(512 * 1024); // runs end at pack edges too
    h = await startHarness(t.url);
    delete process.env.STEWARD_PACK_SIZE;
  });
  afterAll(async () => {
    await h?.close();
    await cleanup?.();
  });

  const blob = randomBytes(3_000_000);

  it('never hands a buffer to another run while a piece of it is still held, and reuses it after', async () => {
    await h.call('POST', 'models', { json: { name: 'lend' } });
    expect((await h.push('lend', '1.0.0', { 'w.bin': blob })).status).toBe(201);
    const { sha256 } = (await h.call('GET', 'models/lend/versions/1.0.0')).data.files[0];
    const recipe = (await h.call('GET', `blobs/${sha256}/recipe`)).data as { chunks: { id: string; size: number }[] };
    const at = new Map<string, number>();
    let offset = 0;
    for (const c of recipe.chunks) {
      at.set(c.id, offset);
      offset += c.size;
    }
    // The blob in order, with its 5th chunk repeated 3 times (a repeat is served from the buffer
    // of the chunk before it, without a read: zero pages, padding).
    const ids = recipe.chunks.map((c) => c.id);
    ids.splice(5, 0, ids[4]!, ids[4]!, ids[4]!);

    // Buffers of one largest chunk (runs of 1-4 chunks) and few kept, so they change hands all the time.
    const buffers = new RunBuffers(256 * 1024, 2);
    const held: ReadChunk[] = [];
    const repeats: ReadChunk[] = [];
    const check = (chunk: ReadChunk) => {
      const from = at.get(chunk.id)!;
      expect(chunk.bytes.equals(blob.subarray(from, from + chunk.bytes.length)), `bytes of ${chunk.id}`).toBe(true);
      chunk.done!();
    };
    // Hold the last 24 pieces while later runs are read, and the repeats to the end: a buffer
    // given back early would be read into again, overwriting them.
    let prev = '';
    for await (const chunk of readChunks(storageDb(h.db.kysely), h.objects, ids, undefined, { buffers })) {
      expect(chunk.done).toBeTypeOf('function');
      (chunk.id === prev ? repeats : held).push(chunk);
      prev = chunk.id;
      if (held.length > 24) check(held.shift()!);
    }
    expect(repeats).toHaveLength(3);
    held.forEach(check);
    expect(buffers.lent).toBeGreaterThan(0); // the repeats still hold the buffers they lie in
    repeats.forEach(check);
    expect(buffers.lent).toBe(0);
    expect(buffers.idle).toBe(2); // and it came back; the pool keeps two
  });

  it('gives back the buffer of a run read ahead when the reader stops early', async () => {
    const { sha256 } = (await h.call('GET', 'models/lend/versions/1.0.0')).data.files[0];
    const ids = ((await h.call('GET', `blobs/${sha256}/recipe`)).data as { chunks: { id: string }[] }).chunks.map((c) => c.id);
    const buffers = new RunBuffers(256 * 1024, 8);
    for await (const chunk of readChunks(storageDb(h.db.kysely), h.objects, ids, undefined, { buffers })) {
      chunk.done!();
      break; // the run after this one is being read ahead
    }
    await new Promise((r) => setTimeout(r, 100));
    expect(buffers.lent).toBe(0);
    expect(buffers.idle).toBe(2);
  });
});
