import { createHash, randomBytes } from 'node:crypto';
import { InvalidInputError, NotFoundError, UnauthorizedError } from '@steward/core';
import { iso, type Principal, type Role } from '../../lib/context.ts';
import { newId } from '../../lib/ids.ts';
import { ROLES } from './roles.ts';
import type { TokenInfo, TokenStore } from './tokens.store.ts';

/**
 * Tokens are 256-bit random secrets, so a single SHA-256 is enough to store them: there is no
 * low-entropy password to brute-force, and lookups stay one indexed equality.
 */
export const hashToken = (secret: string) => createHash('sha256').update(secret).digest('hex');

const TOUCH_EVERY_MS = 60_000;
/**
 * Authenticated tokens are remembered briefly so a busy route (resolve, heartbeats) does not pay a
 * database round trip per request. A revocation through this server applies at once; one made
 * through another server sharing the database applies within this many milliseconds.
 */
const CACHE_TTL_MS = 5_000;
const CACHE_MAX = 10_000;

export function createTokenService(deps: { tokenStore: TokenStore; now: () => Date }) {
  const { tokenStore, now } = deps;
  const cache = new Map<string, { principal: Principal; until: number }>();
  /** Reads on their way, one per token hash; `revocations` keeps a read that raced a revoke from caching. */
  const reading = new Map<string, Promise<Principal>>();
  let revocations = 0;
  async function lookup(hash: string): Promise<Principal> {
    const seen = revocations;
    const t = await tokenStore.findByHash(hash);
    if (!t || t.revokedAt) {
      cache.delete(hash);
      throw new UnauthorizedError(t ? 'token revoked: ask an admin for a new one' : 'invalid token: it is unknown to this server');
    }
    const at = now();
    if (!t.lastUsedAt || at.getTime() - Date.parse(t.lastUsedAt) > TOUCH_EVERY_MS) await tokenStore.touch(t.id, iso(at));
    const principal: Principal = { id: t.id, name: t.name, role: t.role };
    if (seen === revocations) {
      if (cache.size >= CACHE_MAX) cache.clear();
      cache.set(hash, { principal, until: at.getTime() + CACHE_TTL_MS });
    }
    return principal;
  }
  const reread = (hash: string): Promise<Principal> => {
    let p = reading.get(hash);
    if (!p) {
      p = lookup(hash).finally(() => reading.delete(hash));
      reading.set(hash, p);
    }
    return p;
  };
  return {
    async create(input: { name: string; role: Role }, by: Principal): Promise<TokenInfo & { token: string }> {
      if (!ROLES.includes(input.role)) {
        throw new InvalidInputError(`unknown role "${input.role}": use one of ${ROLES.join(', ')}`, { field: 'role' }, 'invalid_role');
      }
      const secret = `stw_${randomBytes(32).toString('base64url')}`;
      const id = newId('tok');
      const at = iso(now());
      await tokenStore.insert({ id, name: input.name, role: input.role, hash: hashToken(secret), createdBy: by.name }, at, {
        actor: by.name,
        action: 'token.create',
        target: id,
        details: { name: input.name, role: input.role },
      });
      return { id, name: input.name, role: input.role, createdAt: at, createdBy: by.name, revokedAt: null, lastUsedAt: null, token: secret };
    },
    list: () => tokenStore.list(),
    async revoke(id: string, by: Principal) {
      const ok = await tokenStore.revoke(id, iso(now()), { actor: by.name, action: 'token.revoke', target: id });
      revocations++;
      for (const [k, v] of cache) if (v.principal.id === id) cache.delete(k);
      if (!ok) throw new NotFoundError(`no active token with id "${id}"`, { id }, 'token_not_found');
    },
    /**
     * Bearer secret → principal, or UnauthorizedError. A cached token past half its life is re-read
     * in the background while the cached principal still answers, and concurrent misses share one
     * read: a busy token (every heartbeat of a fleet) never makes a herd of requests wait for the
     * database at once. No entry is ever served past its `until`.
     */
    async authenticate(secret: string | undefined): Promise<Principal> {
      if (!secret) throw new UnauthorizedError();
      const hash = hashToken(secret);
      const nowMs = now().getTime();
      const hit = cache.get(hash);
      if (hit && hit.until > nowMs) {
        if (hit.until - nowMs < CACHE_TTL_MS / 2) reread(hash).catch(() => undefined);
        return hit.principal;
      }
      return reread(hash);
    },
    /** On first start: one admin token, whose secret the caller prints once and saves. */
    async bootstrapAdmin(): Promise<string | undefined> {
      if ((await tokenStore.countActiveAdmins()) > 0) return undefined;
      const t = await this.create({ name: 'admin', role: 'admin' }, { id: 'system', name: 'system', role: 'admin' });
      return t.token;
    },
  };
}

export type TokenService = ReturnType<typeof createTokenService>;
