import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from '../../http/env.ts';
import { errorResponses, json, jsonBody, ModelParam } from '../../http/schemas.ts';
import { defaultHook } from '../../http/validation.ts';
import { requireRole } from '../auth/auth.middleware.ts';
import { FleetNodeSchema, HeartbeatAnswerSchema, HeartbeatSchema, NodeIdParam, TransitionSchema } from './fleet.schemas.ts';
import type { FleetService } from './fleet.service.ts';

export function fleetRoutes(fleet: FleetService) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: defaultHook as never });
  const tags = ['fleet'];
  app.openapi(
    createRoute({
      method: 'post',
      path: '/nodes/{id}/heartbeat',
      tags,
      middleware: requireRole('node'),
      summary: 'Report what a node has installed and learn which tables to serve',
      request: { params: NodeIdParam, ...jsonBody(HeartbeatSchema) },
      responses: { 200: json(HeartbeatAnswerSchema, 'tables in force and pending, the block clock, and whether the node lags'), ...errorResponses },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const hb = { ...body, ...(body.telemetry ? { telemetry: body.telemetry } : {}) };
      return c.json(await fleet.heartbeat(c.req.valid('param').id, hb as never, c.get('principal')), 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/nodes',
      tags,
      middleware: requireRole('read'),
      request: { query: z.object({ model: z.string().max(256).optional(), limit: z.coerce.number().int().min(1).max(10_000).optional() }) },
      responses: { 200: json(z.object({ items: z.array(FleetNodeSchema) }), 'registered nodes'), ...errorResponses },
    }),
    async (c) => {
      const q = c.req.valid('query');
      return c.json({ items: await fleet.listNodes({ ...(q.model ? { model: q.model } : {}), ...(q.limit ? { limit: q.limit } : {}) }) }, 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/models/{name}/transitions',
      tags,
      middleware: requireRole('read'),
      request: { params: ModelParam, query: z.object({ channel: z.string().max(128).optional() }) },
      responses: { 200: json(z.object({ currentBlock: z.number().int(), items: z.array(TransitionSchema) }), 'fleet transitions, in queue order'), ...errorResponses },
    }),
    async (c) => {
      const q = c.req.valid('query');
      return c.json(await fleet.listTransitions(c.req.valid('param').name, q.channel), 200);
    },
  );
  return app;
}
