import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from '../../http/env.ts';
import { errorResponses, json } from '../../http/schemas.ts';
import { defaultHook } from '../../http/validation.ts';
import { requireRole } from '../auth/auth.middleware.ts';
import type { ChainService } from './chain.service.ts';

const Hash = z.string();
const BlockHeaderSchema = z
  .object({ height: z.number().int(), prevHash: Hash, eventsRoot: Hash, eventCount: z.number().int(), hash: Hash })
  .openapi('BlockHeader');
const AuditEventSchema = z
  .object({ id: z.string(), at: z.string(), actor: z.string(), action: z.string(), target: z.string(), details: z.record(z.string(), z.unknown()), block: z.number().int().nullable() })
  .openapi('AuditEvent');

export function chainRoutes(chain: ChainService) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: defaultHook as never });
  const tags = ['chain'];
  app.openapi(
    createRoute({
      method: 'get',
      path: '/chain/head',
      tags,
      middleware: requireRole('read'),
      responses: {
        200: json(
          z.object({ currentBlock: z.number().int(), genesisMs: z.number().int(), intervalMs: z.number().int(), head: BlockHeaderSchema.nullable() }),
          'the block clock and the newest sealed block',
        ),
        ...errorResponses,
      },
    }),
    async (c) => c.json(await chain.head(), 200),
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/chain/blocks',
      tags,
      middleware: requireRole('admin'),
      request: {
        query: z.object({
          after: z.coerce.number().int().min(-1).default(-1).openapi({ description: 'return blocks above this height (-1: from the start)' }),
          limit: z.coerce.number().int().min(1).max(1000).default(200),
        }),
      },
      responses: {
        200: json(
          z.object({
            items: z.array(z.object({ block: BlockHeaderSchema, events: z.array(z.string()).openapi({ description: 'events as hashed: canonical JSON text' }) })),
            anchor: BlockHeaderSchema.nullable().openapi({ description: 'the block just before the first item, to verify a segment' }),
          }),
          'sealed blocks with their events, ascending',
        ),
        ...errorResponses,
      },
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
      request: {
        query: z.object({
          limit: z.coerce.number().int().min(1).max(1000).default(100),
          before: z.string().max(64).optional().openapi({ description: 'only events strictly before this ISO time (paging)' }),
          action: z.string().max(128).optional(),
          target: z.string().max(512).optional(),
          actor: z.string().max(256).optional(),
        }),
      },
      responses: { 200: json(z.object({ items: z.array(AuditEventSchema) }), 'audit events, newest first'), ...errorResponses },
    }),
    async (c) => {
      const q = c.req.valid('query');
      return c.json({ items: await chain.events({ limit: q.limit, ...(q.before ? { beforeAt: q.before } : {}), ...(q.action ? { action: q.action } : {}), ...(q.target ? { target: q.target } : {}), ...(q.actor ? { actor: q.actor } : {}) }) }, 200);
    },
  );
  return app;
}
