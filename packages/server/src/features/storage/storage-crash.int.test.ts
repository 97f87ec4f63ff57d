import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDb } from '../../db/connect.ts';
import { spawnServer } from '../../testing/child-server.ts';
import { chunkBuffer } from './chunker.ts';
import { edited, frames, parseFetched, sha } from './storage-test-helpers.ts';
import type { StorageDb } from './storage.tables.ts';

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

/**
 * Whole-file PUT, chunk negotiation, chunk negotiation with the recipe declared first (?wait,
 * checked while the chunks upload), or with an open recipe check (ids in two pieces, the digest
 * declared after the upload, as the CLI pushes a file chunked in segments), in turn; resolves true
 * only once the version committed.
 */
const MODES = ['whole', 'delta', 'early', 'open'] as const;
const committedBy = new Map<(typeof MODES)[number], number>();

async function push(api: Api, version: string, bytes: Buffer, mode: (typeof MODES)[number]): Promise<boolean> {
  if (mode !== 'whole') {
    const parts = chunkBuffer(bytes).map((c) => bytes.subarray(c.offset, c.offset + c.length));
    const ids = parts.map(sha);
    const recipe = { size: bytes.length, chunks: ids };
    const early = mode === 'early' ? api('PUT', `blobs/${sha(bytes)}/recipe?wait=10`, recipe).catch(() => undefined) : undefined;
    const half = Math.ceil(ids.length / 2);
    const opened = mode === 'open' ? await api('POST', 'recipe-checks', { chunks: ids.slice(0, half) }) : undefined;
    const missing = new Set<string>((await api('POST', 'chunks/missing', { ids })).data.missing);
    const send = parts.filter((_, i) => missing.has(ids[i]!));
    for (let i = 0; i < send.length; i += 16) await api('POST', 'chunks', frames(send.slice(i, i + 16)));
    let declared = await early;
    if (opened?.status === 201) {
      await api('POST', `recipe-checks/${opened.data.id}/ids`, { chunks: ids.slice(half) });
      declared = await api('PUT', `recipe-checks/${opened.data.id}?wait=10`, { sha256: sha(bytes), size: bytes.length });
    }
    if (!declared || declared.status >= 300 || declared.status === 202) {
      if ((await api('PUT', `blobs/${sha(bytes)}/recipe`, recipe)).status >= 300) return false;
    }
  } else if ((await api('PUT', `blobs/${sha(bytes)}`, new Uint8Array(bytes))).status >= 300) return false;
  return commit(api, version, bytes);
}

/** The blob of `bytes` rebuilt from its recipe and fetched chunks (raw frames), as a client pulls it. */
async function pulled(api: Api, bytes: Buffer): Promise<Buffer> {
  const recipe = await api('GET', `blobs/${sha(bytes)}/recipe`);
  expect(recipe.status).toBe(200);
  const ids = (recipe.data.chunks as { id: string }[]).map((c) => c.id);
  const fetched = new Map<string, Buffer>();
  for (let i = 0; i < ids.length; i += 64) {
    const answer = await api('POST', 'chunks/fetch', { ids: ids.slice(i, i + 64) });
    expect(answer.status).toBe(200);
    for (const f of parseFetched(answer.bytes)) fetched.set(f.id, f.bytes);
  }
  return Buffer.concat(ids.map((id) => fetched.get(id) ?? Buffer.alloc(0)));
}

describe('chunked storage under SIGKILL', () => {
  it(`stays consistent across ${ROUNDS} kills during pushes and GC`, { timeout: 60_000 + ROUNDS * 60_000 }, async () => {
    process.env.STEWARD_PACK_SIZE = String(256 * 1024);
    // Half noise (stored raw), half int8-like bytes of 64 values (stored zstd, judged on the SHA-256
    // worker when they arrive in a large batch): kills meet both kinds of chunk in packs, GC and pulls.
    const base = Buffer.concat([randomBytes(768 * 1024), Buffer.from(randomBytes(768 * 1024).map((b) => b & 0x3f))]);
    const committed = new Map<string, Buffer>();
    let n = 0;
    let gcRuns = 0;
    for (let round = 0; round <= ROUNDS; round++) {
      const server = await spawnServer(dir);
      const api = client(server.url, server.token);
      try {
        const fsck = await api('POST', 'storage/fsck');
        expect(fsck.data.problems, `after kill ${round}`).toEqual([]);
        // Each version is read back whole (GET) and by its recipe and chunk fetches (the pull
        // path), one way or the other in turn, so every version meets both over two rounds.
        let k = 0;
        for (const [version, bytes] of committed) {
          const got = (k++ + round) % 2 === 0 ? (await api('GET', `models/crash/versions/${version}/files/w.bin`)).bytes : await pulled(api, bytes);
          expect(got.equals(bytes), `${version} after kill ${round}`).toBe(true);
        }
        if (round === ROUNDS) break;
        if (round === 0) await api('POST', 'models', { name: 'crash' });
        let alive = true;
        let progressed!: () => void;
        const firstCommit = new Promise<void>((r) => (progressed = r));
        const work = async (w: number) => {
          while (alive) {
            const version = `${round}.${w}.${n++}`;
            const bytes = edited(base, 4, n * 7 + w);
            const mode = MODES[(n + w) % MODES.length]!;
            const ok = await push(api, version, bytes, mode).catch(() => false);
            if (ok) {
              committed.set(version, bytes);
              committedBy.set(mode, (committedBy.get(mode) ?? 0) + 1);
              progressed();
            }
          }
        };
        const gc = async () => {
          while (alive) {
            const r = await api('POST', 'storage/gc', { graceSeconds: 1, repackBelow: 0.9 }).catch(() => undefined);
            if (r?.status === 200) gcRuns++;
          }
        };
        const running = [work(0), work(1), gc()];
        // The kill lands at a random moment while pushes and GC run, but not before this round
        // committed something (or 20 s went by): on a loaded machine a fixed 0.5-1.5 s could kill
        // every round before its first commit, and the test would check nothing.
        await Promise.race([firstCommit, new Promise((r) => setTimeout(r, 20_000))]);
        await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 1000)));
        await server.kill();
        alive = false;
        await Promise.all(running);
      } finally {
        await server.kill();
      }
    }
    delete process.env.STEWARD_PACK_SIZE;
    console.log(`storage crash test: ${ROUNDS} kills, ${committed.size} versions committed and read back after every later restart, ${gcRuns} GC runs finished`);
    expect(committed.size).toBeGreaterThan(0);
    expect(MODES.filter((m) => !committedBy.get(m))).toEqual([]); // every way of pushing committed some
    expect(gcRuns).toBeGreaterThan(0);
    // Both kinds of chunk were in play.
    const db = await openDb(`sqlite:${join(dir, 'steward.db')}`);
    try {
      const kinds = await (db.kysely as unknown as StorageDb).selectFrom('chunks').select('compression').distinct().execute();
      expect(kinds.map((k) => k.compression).sort()).toEqual(expect.arrayContaining(['raw-incompressible', 'zstd']));
    } finally {
      await db.close();
    }
  });
});
