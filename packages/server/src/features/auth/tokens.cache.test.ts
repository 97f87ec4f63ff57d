import { describe, expect, it } from 'vitest';
import { createTokenService, hashToken } from './tokens.service.ts';
import type { TokenInfo, TokenStore } from './tokens.store.ts';

/** A token store in memory that counts reads and can hold them until released. */
function fakeStore() {
  const rows = new Map<string, TokenInfo & { hash: string }>();
  const held: (() => void)[] = [];
  const store = {
    reads: 0,
    hold: false,
    async insert(t: { id: string; name: string; role: TokenInfo['role']; hash: string; createdBy: string }, at: string) {
      rows.set(t.id, { ...t, createdAt: at, revokedAt: null, lastUsedAt: null });
    },
    async findByHash(hash: string) {
      store.reads++;
      const found = [...rows.values()].find((r) => r.hash === hash);
      const snapshot = found ? { ...found } : undefined; // read now; answer maybe later
      if (store.hold) await new Promise<void>((r) => held.push(r));
      return snapshot;
    },
    async list() {
      return [...rows.values()];
    },
    async revoke(id: string, at: string) {
      const r = rows.get(id);
      if (!r || r.revokedAt) return false;
      r.revokedAt = at;
      return true;
    },
    async touch(id: string, at: string) {
      rows.get(id)!.lastUsedAt = at;
    },
    async countActiveAdmins() {
      return 1;
    },
  } satisfies TokenStore & Record<string, unknown>;
  return { store, release: () => held.splice(0).forEach((r) => r()) };
}

const ADMIN = { id: 'system', name: 'system', role: 'admin' as const };
const tick = () => new Promise((r) => setTimeout(r, 0));

describe('token cache', () => {
  it('makes concurrent requests of an uncached token share one read', async () => {
    let t = 1_000_000;
    const { store, release } = fakeStore();
    const tokens = createTokenService({ tokenStore: store, now: () => new Date(t) });
    const { token } = await tokens.create({ name: 'fleet', role: 'node' }, ADMIN);
    store.hold = true;
    const all = Promise.all(Array.from({ length: 50 }, () => tokens.authenticate(token)));
    await tick();
    release();
    expect((await all).every((p) => p.name === 'fleet')).toBe(true);
    expect(store.reads).toBe(1);
    expect(hashToken(token)).toHaveLength(64);
  });

  it('re-reads a token past half its life in the background, answering from the cache meanwhile', async () => {
    let t = 1_000_000;
    const { store, release } = fakeStore();
    const tokens = createTokenService({ tokenStore: store, now: () => new Date(t) });
    const { token } = await tokens.create({ name: 'fleet', role: 'node' }, ADMIN);
    await tokens.authenticate(token);
    expect(store.reads).toBe(1);
    t += 3_000; // past half of the 5 s cache life
    store.hold = true;
    expect((await tokens.authenticate(token)).name).toBe('fleet'); // did not wait for the held read
    expect(store.reads).toBe(2);
    release();
    await tick();
    t += 4_000; // 7 s after the first read: served at once only because the background read renewed it
    const served = await Promise.race([tokens.authenticate(token), new Promise((r) => setTimeout(() => r('waited'), 200))]);
    expect(served).toMatchObject({ name: 'fleet' });
    release();
  });

  it('never caches a read that raced a revocation, and refuses the token at once afterwards', async () => {
    let t = 1_000_000;
    const { store, release } = fakeStore();
    const tokens = createTokenService({ tokenStore: store, now: () => new Date(t) });
    const created = await tokens.create({ name: 'fleet', role: 'node' }, ADMIN);
    store.hold = true;
    const racing = tokens.authenticate(created.token); // read before the revocation, answered after it
    await tick();
    await tokens.revoke(created.id, ADMIN);
    release();
    await racing;
    store.hold = false;
    await expect(tokens.authenticate(created.token)).rejects.toThrow(/revoked/);
  });
});
