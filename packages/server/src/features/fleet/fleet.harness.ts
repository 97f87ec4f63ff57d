import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../app.ts';
import { openDb } from '../../db/connect.ts';
import { responseContracts } from '../../testing/response-contract.ts';
import { apiCaller, sha256 } from '../../testing/api-harness.ts';
import { createFileObjectStore } from '../../storage/object-store.fs.ts';
import { loadOrCreateSigningKey } from '../keys/signing-key.ts';
import type { FleetOptions } from './fleet.options.ts';

/** A fake clock: tests move it by whole blocks. Genesis is fixed so block numbers are exact. */
export function fakeClock(genesisMs = Date.UTC(2026, 0, 1), intervalMs = 1000) {
  let t = genesisMs;
  return {
    genesisMs,
    intervalMs,
    now: () => new Date(t),
    /** Jumps to a point inside `block` (`frac` of the way in). */
    toBlock(block: number, frac = 0.25) {
      t = genesisMs + block * intervalMs + Math.floor(frac * intervalMs);
    },
    block: () => Math.floor((t - genesisMs) / intervalMs),
  };
}

export type FakeClock = ReturnType<typeof fakeClock>;

/**
 * A real app on a real database driven through `app.request`, with an injected clock: the block
 * clock is created at the fake genesis, so "block 16" in a test is block 16 on the server.
 */
export async function startFleetHarness(dbUrl: string, opts: { clock?: FakeClock; fleet?: Partial<FleetOptions> } = {}) {
  const clock = opts.clock ?? fakeClock();
  const dir = mkdtempSync(join(tmpdir(), 'steward-fleet-'));
  const db = await openDb(dbUrl);
  const objects = createFileObjectStore(join(dir, 'objects'));
  const signingKey = loadOrCreateSigningKey(dir);
  const logged: unknown[] = [];
  const { app, api, services } = createApp({ db, objects, signingKey, auth: true, now: clock.now, log: (_m, e) => logged.push(e), blockIntervalMs: clock.intervalMs, ...(opts.fleet ? { fleet: opts.fleet } : {}) });
  const admin = (await services.tokens.bootstrapAdmin())!;
  await services.chain.clock();

  const contract = responseContracts(api);
  const call = apiCaller(app, admin, contract);

  /** Push + commit a version with one file. */
  const push = async (model: string, version: string, content: string) => {
    const draft = await call('POST', `models/${encodeURIComponent(model)}/drafts`, { json: { version } });
    if (draft.status !== 201) throw new Error(`draft: ${draft.text}`);
    const bytes = new TextEncoder().encode(content);
    const digest = sha256(bytes);
    await call('PUT', `blobs/${digest}`, { body: bytes, headers: { 'content-length': String(bytes.length) } });
    await call('PUT', `models/${encodeURIComponent(model)}/drafts/${draft.data.id}/files`, { json: { files: [{ path: 'model.onnx', sha256: digest, size: bytes.length }] } });
    const v = await call('POST', `models/${encodeURIComponent(model)}/drafts/${draft.data.id}/commit`);
    if (v.status !== 201) throw new Error(`commit: ${v.text}`);
    return v.data;
  };

  /** A node token (role node). */
  const nodeToken = async (name: string): Promise<string> => {
    const r = await call('POST', 'tokens', { json: { name, role: 'node' } });
    if (r.status !== 201) throw new Error(`token: ${r.text}`);
    return r.data.token as string;
  };

  const replicas: { close: () => Promise<void> }[] = [];
  /**
   * A second server on the same database (its own connection, caches and fleet loop), as in a
   * deployment with two replicas behind a load balancer.
   */
  const replica = async () => {
    const rdb = await openDb(dbUrl);
    const r = createApp({ db: rdb, objects, signingKey, auth: true, now: clock.now, log: (_m, e) => logged.push(e), blockIntervalMs: clock.intervalMs, ...(opts.fleet ? { fleet: opts.fleet } : {}) });
    await r.services.chain.clock();
    const close = async () => {
      await r.services.fleet.stop();
      await r.services.chain.stop();
      await rdb.close();
    };
    replicas.push({ close });
    return { app: r.app, services: r.services, call: apiCaller(r.app, admin, contract), close };
  };

  return {
    app,
    services,
    db,
    clock,
    admin,
    call,
    push,
    nodeToken,
    replica,
    logged,
    async close() {
      for (const r of replicas.splice(0)) await r.close();
      await services.fleet.stop();
      await services.chain.stop();
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type FleetHarness = Awaited<ReturnType<typeof startFleetHarness>>;
