import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeFrames } from '../api/chunk-frames.ts';
import { StewardClient } from '../client.ts';
import { startJsonServer } from '../testing/json-server.ts';
import { ChunkCache } from './chunk-cache.ts';
import { fetchIntoCache } from './chunked-pull.ts';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/**
 * A server from before compressed fetch answers, for POST /chunks/fetch only: its body schema
 * is strict, so `encoding` (and `bases`) fail validation with the 400 such a server gives.
 * `otherError` makes it refuse every body with some other validation error instead.
 */
function oldServer(chunks: Map<string, Buffer>, opts: { otherError?: boolean } = {}) {
  return startJsonServer<Record<string, unknown>>((body, res) => {
    const unknown = Object.keys(body).filter((k) => k !== 'ids');
    const refuse = (message: string, code: string) => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'validation_failed', message: `json: ${message}`, details: { issues: [{ path: 'json', message, code }] } } }));
    };
    if (opts.otherError) return refuse('Too big: expected array to have <=4096 items', 'too_big');
    if (unknown.length) return refuse(`Unrecognized keys: ${unknown.map((k) => `"${k}"`).join(', ')}`, 'unrecognized_keys');
    const ids = body.ids as string[];
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    res.end(encodeFrames(ids.map((id) => ({ id, bytes: chunks.get(id)! }))));
  });
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'steward-old-server-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('fetching chunks from a server that does not know encodings', () => {
  const parts = [randomBytes(5000), randomBytes(7000), randomBytes(3000)];
  const chunks = new Map(parts.map((b) => [sha(b), b]));
  const ids = [...chunks.keys()];

  it('asks again for raw frames once, then asks raw from the start for the rest of the session', async () => {
    const old = await oldServer(chunks);
    const client = new StewardClient({ url: old.url, token: 't' });
    try {
      const cache = new ChunkCache(dir);
      await fetchIntoCache(client, cache, [{ id: ids[0]!, size: 5000 }], { bases: new Map([[ids[0]!, [ids[2]!]]]) });
      expect(old.bodies).toEqual([{ ids: [ids[0]], encoding: 'zstd', bases: [[ids[2]]] }, { ids: [ids[0]] }]);
      await fetchIntoCache(client, cache, [{ id: ids[1]!, size: 7000 }, { id: ids[2]!, size: 3000 }]);
      expect(old.bodies.slice(2)).toEqual([{ ids: [ids[1], ids[2]] }]);
      for (const b of parts) expect(await cache.read(sha(b))).toEqual(b);
    } finally {
      await old.stop();
    }
  });

  it('does not retry other validation errors', async () => {
    const old = await oldServer(chunks, { otherError: true });
    const client = new StewardClient({ url: old.url, token: 't' });
    try {
      await expect(client.chunks.fetch(ids, () => undefined, { encoding: 'zstd' })).rejects.toMatchObject({ status: 400, code: 'validation_failed' });
      expect(old.bodies).toHaveLength(1);
    } finally {
      await old.stop();
    }
  });
});
