import { createHash, randomBytes } from 'node:crypto';
import type { Harness } from '../../testing/api-harness.ts';
import { encodeFrame } from './frames.ts';

export const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** A file of `n` distinct 1 KiB chunks, its chunk ids and digest (600 chunks span three of a recipe check's 256-chunk windows). */
export function fileOfChunks(n: number): { chunks: Buffer[]; ids: string[]; bytes: Buffer; sha256: string } {
  const chunks = Array.from({ length: n }, () => randomBytes(1024));
  const bytes = Buffer.concat(chunks);
  return { chunks, ids: chunks.map(sha), bytes, sha256: sha(bytes) };
}

/** A batch body for POST /chunks. */
export const frames = (chunks: Uint8Array[]) => new Uint8Array(Buffer.concat(chunks.flatMap((c) => encodeFrame(sha(c), c))));

/** POST /chunks of `chunks` as one batch. */
export const uploadChunks = (h: Harness, chunks: Buffer[]) => h.call('POST', 'chunks', { body: frames(chunks), headers: { 'content-type': 'application/octet-stream' } });

/** Parse a POST /chunks/fetch answer. */
export function parseFetched(body: Buffer): { id: string; bytes: Buffer }[] {
  const out = [];
  let at = 0;
  while (at < body.length) {
    const id = body.subarray(at, at + 32).toString('hex');
    const len = body.readUInt32BE(at + 32);
    out.push({ id, bytes: body.subarray(at + 36, at + 36 + len) });
    at += 36 + len;
  }
  return out;
}

export async function getBytes(h: Harness, path: string, headers: Record<string, string> = {}) {
  const res = await h.app.request(`/api/v1/${path}`, { headers: { authorization: `Bearer ${h.admin}`, ...headers } });
  return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()) };
}

export async function rejected(h: Harness, reason: string): Promise<number> {
  const text = (await h.call('GET', '/metrics')).text;
  const m = new RegExp(`steward_storage_rejected_total\\{reason="${reason}"\\} (\\d+)`).exec(text);
  return m ? Number(m[1]) : 0;
}

/** Mutates `base` in a few places (as a fine-tune would), returning a copy. */
export function edited(base: Buffer, edits: number, seed: number): Buffer {
  const out = Buffer.from(base);
  let x = seed;
  for (let i = 0; i < edits; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const at = x % (out.length - 100);
    for (let k = 0; k < 100; k++) out[at + k] = (out[at + k]! + 1) & 255;
  }
  return out;
}

/** `n` bytes of float16 weights ~ N(0, 0.02), as model files hold them: zstd saves ~8 % (their exponent bytes are skewed). */
export function float16Weights(n: number): Buffer {
  const r = randomBytes(4 * n);
  const u = (k: number) => (r.readUInt32LE(4 * k) + 0.5) / 2 ** 32;
  const f = new Float32Array(1);
  const bits = new Uint32Array(f.buffer);
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n / 2; i++) {
    f[0] = Math.sqrt(-2 * Math.log(u(2 * i))) * Math.cos(2 * Math.PI * u(2 * i + 1)) * 0.02;
    const exp = ((bits[0]! >>> 23) & 0xff) - 112; // rebias 127 → 15
    b.writeUInt16LE(((bits[0]! >>> 16) & 0x8000) | (exp > 0 ? (exp << 10) | ((bits[0]! >>> 13) & 0x3ff) : 0), 2 * i);
  }
  return b;
}
