import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENCODED_FRAMES_TYPE, encodedLengthWord, FRAME_HEADER_BYTES } from '@steward/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Compressor } from 'zstd-napi';
import { StewardClient } from '../client.ts';
import { flipByte } from '../testing/disk.ts';
import { startJsonServer } from '../testing/json-server.ts';
import { ChunkCache } from './chunk-cache.ts';
import { fetchIntoCache } from './chunked-pull.ts';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/**
 * Answers POST /chunks/fetch the way the server does for `encoding: 'zstd'`: a chunk asked for
 * with bases comes zstd'd against them ('zstd-dict'), one without comes raw.
 */
function deltaServer(chunks: Map<string, Buffer>) {
  return startJsonServer<{ ids: string[]; bases?: string[][] }>((body, res) => {
    const parts = body.ids.map((id, i) => {
      const bases = body.bases?.[i] ?? [];
      let bytes = chunks.get(id)!;
      let encoding: 'raw' | 'zstd-dict' = 'raw';
      if (bases.length) {
        const c = new Compressor();
        c.loadDictionary(Buffer.concat(bases.map((b) => chunks.get(b)!)));
        bytes = c.compress(bytes);
        encoding = 'zstd-dict';
      }
      const head = Buffer.alloc(FRAME_HEADER_BYTES);
      Buffer.from(id, 'hex').copy(head);
      head.writeUInt32BE(encodedLengthWord(bytes.length, encoding), 32);
      return Buffer.concat([head, bytes]);
    });
    res.writeHead(200, { 'content-type': ENCODED_FRAMES_TYPE });
    res.end(Buffer.concat(parts));
  });
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'steward-bases-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('fetching chunks encoded against cached bases', () => {
  // Two old chunks and three edits of them: each new chunk differs from its base in 500 bytes.
  const old = [randomBytes(60_000), randomBytes(60_000)];
  const edits = [0, 1, 0].map((b, i) => {
    const e = Buffer.from(old[b]!);
    randomBytes(500).copy(e, 10_000 * (i + 1));
    return e;
  });
  const chunks = new Map([...old, ...edits].map((b) => [sha(b), b]));
  const baseOf = new Map(edits.map((e, i) => [sha(e), [sha(old[[0, 1, 0][i]!]!)]]));
  const want = edits.map((e) => ({ id: sha(e), size: e.length }));

  it('decodes every frame against the cached bases, and fetches only the edits on the wire', async () => {
    const srv = await deltaServer(chunks);
    const client = new StewardClient({ url: srv.url, token: 't' });
    try {
      const cache = new ChunkCache(join(dir, 'cache'));
      for (const b of old) await cache.put(sha(b), b);
      const { wireBytes } = await fetchIntoCache(client, cache, want, { bases: baseOf });
      expect(srv.bodies).toEqual([{ ids: want.map((w) => w.id), encoding: 'zstd', bases: want.map((w) => baseOf.get(w.id)) }]);
      expect(wireBytes).toBeLessThan(3 * 2_000); // ~500 new bytes each, not 60,000
      for (const e of edits) expect((await cache.read(sha(e)))?.equals(e)).toBe(true);
    } finally {
      await srv.stop();
    }
  });

  it('a base damaged on disk is dropped with its segment and the batch is asked again without bases', async () => {
    const srv = await deltaServer(chunks);
    const client = new StewardClient({ url: srv.url, token: 't' });
    try {
      const cache = new ChunkCache(join(dir, 'cache'));
      for (const b of old) await cache.put(sha(b), b);
      const at = (await cache.locate(sha(old[0]!)))!;
      const seg = at.seg;
      await flipByte(join(cache.segmentDir, seg), at.offset + 99);
      const { wireBytes } = await fetchIntoCache(client, cache, want, { bases: baseOf, retry: { attempts: 2, baseDelayMs: 1 } });
      expect(srv.bodies.map((b) => b.bases === undefined)).toEqual([false, true]);
      expect(wireBytes).toBeGreaterThan(3 * 60_000); // the retry came raw
      for (const e of edits) expect((await cache.read(sha(e)))?.equals(e)).toBe(true);
      expect(await cache.has(sha(old[0]!))).toBe(false);
      await expect(readdir(cache.segmentDir)).resolves.not.toContain(seg);
    } finally {
      await srv.stop();
    }
  });
});
