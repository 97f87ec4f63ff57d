import type { MiddlewareHandler } from 'hono';
import { ForbiddenError } from '@steward/core';
import type { AppEnv } from '../../http/env.ts';
import { allows, type Need } from './roles.ts';
import type { TokenService } from './tokens.service.ts';

const ANONYMOUS_ADMIN = { id: 'anonymous', name: 'anonymous', role: 'admin' as const };

/** Resolves `Authorization: Bearer …` into the principal; with auth off every caller is an admin (loopback only). */
export function authenticate(tokens: TokenService, authEnabled: boolean): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (!authEnabled) {
      c.set('principal', ANONYMOUS_ADMIN);
      return next();
    }
    const header = c.req.header('authorization') ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    c.set('principal', await tokens.authenticate(m?.[1]));
    return next();
  };
}

export function requireRole(need: Need): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const p = c.get('principal');
    if (!allows(p.role, need)) {
      throw new ForbiddenError(`token "${p.name}" has role ${p.role}, which may not ${need}; use a token with the right role`, {
        role: p.role,
        needs: need,
      });
    }
    return next();
  };
}
