import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { AuditEventSchema, AuditQuerySchema, ChainBlocksQuerySchema, ChainBlocksSchema, ChainHeadSchema } from '@steward/core/api';
import type { AppEnv } from '../../http/env.ts';
import { errorResponses, json } from '../../http/schemas.ts';
import { defaultHook } from '../../http/validation.ts';
import { requireRole } from '../auth/auth.middleware.ts';
import type { ChainService } from './chain.service.ts';

export function chainRoutes(chain: ChainService) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: defaultHook as never });
  const tags = ['chain'];
  app.openapi(
    createRoute({
      method: 'get',
      path: '/chain/head',
      tags,
      middleware: requireRole('read'),
      responses: { 200: json(ChainHeadSchema, 'the block clock and the newest sealed block'), ...errorResponses },
    }),
    async (c) => c.json(await chain.head(), 200),
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/chain/blocks',
      tags,
      middleware: requireRole('admin'),
      request: { query: ChainBlocksQuerySchema },
      responses: { 200: json(ChainBlocksSchema, 'sealed blocks with their events, ascending'), ...errorResponses },
    }),
    async (c) => {
      const q = c.req.valid('query');
      return c.json(await chain.blocks(q.after, q.limit), 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/audit/events',
      tags: ['audit'],
      middleware: requireRole('admin'),
      request: { query: AuditQuerySchema },
      responses: { 200: json(z.object({ items: z.array(AuditEventSchema) }), 'audit events, newest first'), ...errorResponses },
    }),
    async (c) => {
      const q = c.req.valid('query');
      return c.json({ items: await chain.events({ limit: q.limit, ...(q.before ? { beforeAt: q.before } : {}), ...(q.action ? { action: q.action } : {}), ...(q.target ? { target: q.target } : {}), ...(q.actor ? { actor: q.actor } : {}) }) }, 200);
    },
  );
  return app;
}
