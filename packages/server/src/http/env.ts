import type { Principal } from '../lib/context.ts';

/** Hono environment shared by every router: the authenticated caller. */
export interface AppEnv {
  Variables: { principal: Principal };
}
