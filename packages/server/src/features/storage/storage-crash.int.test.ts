import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnServer } from '../../testing/child-server.ts';
import { chunkBuffer } from './chunker.ts';
import { edited, frames, sha } from './storage-test-helpers.ts';

/** SIGKILL rounds: a few by default, 50 with STEWARD_LONG=1. */
const ROUNDS = process.env.STEWARD_LONG === '1' ? 50 : 3;
const dir = mkdtempSync(join(tmpdir(), 'steward-storage-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Api = (method: string, path: string, body?: unknown) => Promise<{ status: number; data: any; bytes: Buffer }>;
const client = (url: string, token: string): Api => async (method, path, body) => {
  const raw = body instanceof Uint8Array;
  const res = await fetch(`${url}/api/v1/${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': raw ? 'application/octet-stream' : 'application/json' }) },
    ...(body === undefined ? {} : { body: (raw ? body : JSON.stringify(body)) as BodyInit }),
  });
  const bytes = Buffer.from(await res.arrayBuffer());
  let data: any = null;
  try {
    data = JSON.parse(bytes.toString('utf8'));
  } catch {
    /* binary */
  }
  return { status: res.status, data, bytes };
};

async function commit(api: Api, version: string, bytes: Buffer): Promise<boolean> {
  const draft = await api('POST', 'models/crash/drafts', { version });
  if (draft.status !== 201) return false;
  await api('PUT', `models/crash/drafts/${draft.data.id}/files`, { files: [{ path: 'w.bin', sha256: sha(bytes), size: bytes.length }] });
  return (await api('POST', `models/crash/drafts/${draft.data.id}/commit`)).status === 201;
}

/** Whole-file PUT or chunk negotiation, alternating; resolves true only once the version committed. */
async function push(api: Api, version: string, bytes: Buffer, delta: boolean): Promise<boolean> {
  if (delta) {
    const parts = chunkBuffer(bytes).map((c) => bytes.subarray(c.offset, c.offset + c.length));
    const ids = parts.map(sha);
    const missing = new Set<string>((await api('POST', 'chunks/missing', { ids })).data.missing);
    const send = parts.filter((_, i) => missing.has(ids[i]!));
    for (let i = 0; i < send.length; i += 16) await api('POST', 'chunks', frames(send.slice(i, i + 16)));
    if ((await api('PUT', `blobs/${sha(bytes)}/recipe`, { size: bytes.length, chunks: ids })).status >= 300) return false;
  } else if ((await api('PUT', `blobs/${sha(bytes)}`, new Uint8Array(bytes))).status >= 300) return false;
  return commit(api, version, bytes);
}

describe('chunked storage under SIGKILL', () => {
  it(`stays consistent across ${ROUNDS} kills during pushes and GC`, { timeout: 60_000 + ROUNDS * 40_000 }, async () => {
    process.env.STEWARD_PACK_SIZE = String(256 * 1024);
    const base = randomBytes(1536 * 1024);
    const committed = new Map<string, Buffer>();
    let n = 0;
    let gcRuns = 0;
    for (let round = 0; round <= ROUNDS; round++) {
      const server = await spawnServer(dir);
      const api = client(server.url, server.token);
      try {
        const fsck = await api('POST', 'storage/fsck');
        expect(fsck.data.problems, `after kill ${round}`).toEqual([]);
        for (const [version, bytes] of committed) {
          const got = await api('GET', `models/crash/versions/${version}/files/w.bin`);
          expect(got.bytes.equals(bytes), `${version} after kill ${round}`).toBe(true);
        }
        if (round === ROUNDS) break;
        if (round === 0) await api('POST', 'models', { name: 'crash' });
        let alive = true;
        const work = async (w: number) => {
          while (alive) {
            const version = `${round}.${w}.${n++}`;
            const bytes = edited(base, 4, n * 7 + w);
            const ok = await push(api, version, bytes, (n + w) % 2 === 0).catch(() => false);
            if (ok) committed.set(version, bytes);
          }
        };
        const gc = async () => {
          while (alive) {
            const r = await api('POST', 'storage/gc', { graceSeconds: 1, repackBelow: 0.9 }).catch(() => undefined);
            if (r?.status === 200) gcRuns++;
          }
        };
        const running = [work(0), work(1), gc()];
        await new Promise((r) => setTimeout(r, 500 + Math.floor(Math.random() * 1000)));
        await server.kill();
        alive = false;
        await Promise.all(running);
      } finally {
        await server.kill();
      }
    }
    delete process.env.STEWARD_PACK_SIZE;
    expect(committed.size).toBeGreaterThan(0);
    expect(gcRuns).toBeGreaterThan(0);
  });
});
