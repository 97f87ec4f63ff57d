/**
 * The chunk API of docs/storage.md, in memory, for the fake server: /chunks/missing, /chunks,
 * /chunks/fetch and /blobs/{sha}/recipe. Frames are really parsed and hashed, so client bugs in
 * framing or ids surface here as they would on the real server.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { encodeFrames, FRAME_HEADER_BYTES } from '../api/chunk-frames.ts';

export interface FakeChunkState {
  chunks: Map<string, Buffer>;
  recipes: Map<string, { size: number; chunks: string[] }>;
  blobs: Map<string, Buffer>;
  /** Test hook: after this many successful `POST /chunks`, drop the connection of every later one. */
  dropUploadsAfter?: number;
  uploadsAccepted: number;
  /** Test hook: delay before answering each `POST /chunks` (ms), to catch a push mid-way. */
  uploadDelayMs?: number;
  /** Test hook: after this many `POST /chunks/fetch` answers, cut every later answer after its first frame. */
  dropFetchesAfter?: number;
  fetchesServed: number;
  /** Test hook: delay before answering each `POST /chunks/fetch` (ms), to catch a pull mid-way. */
  fetchDelayMs?: number;
  /** Chunk bytes sent by /chunks/fetch (payload only), to measure delta pulls. */
  fetchedBytes: number;
  /** Body bytes written by /chunks/fetch (frames with headers, torn ones included): what a client receives. */
  fetchedWireBytes: number;
  /** Recipes answered 202 (pending), by `sha256:size`, for re-asks that send only the size. */
  pendingRecipes: Map<string, { size: number; chunks: string[] }>;
}

type Send = (res: ServerResponse, status: number, body?: unknown) => void;
type Fail = (res: ServerResponse, status: number, code: string, message: string, details?: unknown) => void;

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const MAX_CHUNK = 256 * 1024;

/** Returns true if it handled the request. */
export async function chunkRoutes(
  s: FakeChunkState,
  req: IncomingMessage,
  res: ServerResponse,
  parts: string[],
  body: () => Promise<Buffer>,
  send: Send,
  fail: Fail,
): Promise<boolean> {
  const [a, b, c] = parts;
  const json = async <T>(): Promise<T> => JSON.parse((await body()).toString() || '{}') as T;
  if (a === 'chunks' && b === 'missing' && req.method === 'POST') {
    const { ids } = await json<{ ids: string[] }>();
    send(res, 200, { missing: ids.filter((id) => !s.chunks.has(id)) });
    return true;
  }
  if (a === 'chunks' && b === undefined && req.method === 'POST') {
    if (s.dropUploadsAfter !== undefined && s.uploadsAccepted >= s.dropUploadsAfter) {
      req.socket.destroy();
      return true;
    }
    const bytes = await body();
    const frames: { id: string; bytes: Buffer }[] = [];
    for (let at = 0; at < bytes.length; ) {
      if (bytes.length - at < FRAME_HEADER_BYTES) return fail(res, 400, 'truncated_batch', 'truncated frame header'), true;
      const id = bytes.subarray(at, at + 32).toString('hex');
      const len = bytes.readUInt32BE(at + 32);
      if (len > MAX_CHUNK) return fail(res, 400, 'chunk_too_large', `chunk ${id} is ${len} bytes`), true;
      const start = at + FRAME_HEADER_BYTES;
      if (start + len > bytes.length) return fail(res, 400, 'truncated_batch', 'truncated frame'), true;
      const data = bytes.subarray(start, start + len);
      if (sha(data) !== id) return fail(res, 422, 'chunk_digest_mismatch', `chunk ${id} does not hash to its id`), true;
      frames.push({ id, bytes: Buffer.from(data) });
      at = start + len;
    }
    let stored = 0;
    for (const f of frames) if (!s.chunks.has(f.id)) (s.chunks.set(f.id, f.bytes), stored++);
    s.uploadsAccepted++;
    if (s.uploadDelayMs) await new Promise((r) => setTimeout(r, s.uploadDelayMs));
    send(res, 200, { stored, skipped: frames.length - stored, bytes: bytes.length });
    return true;
  }
  if (a === 'chunks' && b === 'fetch' && req.method === 'POST') {
    const { ids } = await json<{ ids: string[] }>();
    const missing = ids.filter((id) => !s.chunks.has(id));
    if (missing.length) return fail(res, 404, 'chunk_not_found', 'unknown chunks', { missing }), true;
    const frames = ids.map((id) => ({ id, bytes: s.chunks.get(id)! }));
    if (s.fetchDelayMs) await new Promise((r) => setTimeout(r, s.fetchDelayMs));
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    if (s.dropFetchesAfter !== undefined && s.fetchesServed >= s.dropFetchesAfter) {
      s.fetchedBytes += frames[0]!.bytes.length;
      const whole = encodeFrames(frames.slice(0, 1));
      const torn = encodeFrames(frames.slice(1, 2)).subarray(0, 40); // then a torn frame
      s.fetchedWireBytes += whole.length + torn.length;
      res.write(whole);
      res.write(torn);
      setTimeout(() => res.destroy(), 20);
      return true;
    }
    s.fetchesServed++;
    s.fetchedBytes += frames.reduce((n, f) => n + f.bytes.length, 0);
    const body = encodeFrames(frames);
    s.fetchedWireBytes += body.length;
    res.end(body);
    return true;
  }
  if (a === 'blobs' && b && c === 'recipe') {
    if (req.method === 'GET') {
      const r = s.recipes.get(b);
      if (!r) return fail(res, 404, 'recipe_not_found', `no recipe for ${b}`), true;
      send(res, 200, { sha256: b, size: r.size, chunks: r.chunks.map((id) => ({ id, size: s.chunks.get(id)!.length })) });
      return true;
    }
    const asked = await json<{ size: number; chunks?: string[] }>();
    if (s.blobs.has(b)) return send(res, 200, { sha256: b, size: s.blobs.get(b)!.length, created: false }), true;
    // ?wait=S: chunks still uploading are waited for (polled), then 202 pending, as the real server
    // does; a re-ask may send only {size}, which joins the recipe left pending.
    const wait = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('wait') ?? 0);
    const r = asked.chunks ? { size: asked.size, chunks: asked.chunks } : wait > 0 ? s.pendingRecipes.get(`${b}:${asked.size}`) : undefined;
    if (!r) return fail(res, 404, 'recipe_check_not_found', 'no recipe pending for this blob'), true;
    if (wait > 0) {
      const until = Date.now() + wait * 1000;
      while (r.chunks.some((id) => !s.chunks.has(id)) && Date.now() < until) await new Promise((t) => setTimeout(t, 5));
      if (r.chunks.some((id) => !s.chunks.has(id))) {
        s.pendingRecipes.set(`${b}:${r.size}`, r);
        return send(res, 202, { sha256: b, size: r.size, created: false, pending: true, hashedBytes: 0 }), true;
      }
      s.pendingRecipes.delete(`${b}:${r.size}`);
    }
    const missing = r.chunks.filter((id) => !s.chunks.has(id));
    if (missing.length) return fail(res, 409, 'chunk_missing', 'chunks not stored', { missing }), true;
    const bytes = Buffer.concat(r.chunks.map((id) => s.chunks.get(id)!));
    if (bytes.length !== r.size || sha(bytes) !== b) return fail(res, 422, 'digest_mismatch', 'recipe does not match the blob'), true;
    const existed = s.blobs.has(b);
    s.blobs.set(b, bytes);
    s.recipes.set(b, r);
    send(res, existed ? 200 : 201, { sha256: b, size: r.size, created: !existed });
    return true;
  }
  return false;
}
