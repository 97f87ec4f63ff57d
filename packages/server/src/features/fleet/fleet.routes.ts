import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from '../../http/env.ts';
import { errorResponses, json, jsonBody, ModelParam } from '../../http/schemas.ts';
import { defaultHook } from '../../http/validation.ts';
import { requireRole } from '../auth/auth.middleware.ts';
import { DesiredAnswerSchema, DesiredQuerySchema, FleetNodeSchema, HeartbeatAnswerSchema, HeartbeatSchema, NodeIdParam, TransitionSchema } from './fleet.schemas.ts';
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
      path: '/nodes/{id}/desired',
      tags,
      middleware: requireRole('node'),
      summary: 'Long-poll for the tables a node should serve',
      description:
        'Answers at once when the node\'s tables differ from `since`; otherwise holds the request until one of its channels changes (a transition proposed, scheduled, superseded or refused) or `wait` passes, then answers 304. The agent keeps heartbeating for liveness and telemetry.',
      request: { params: NodeIdParam, query: DesiredQuerySchema },
      responses: {
        200: json(DesiredAnswerSchema, 'the tables differ from `since`: what to serve, with its etag'),
        304: { description: 'unchanged after `wait` (or the server is shutting down); the ETag header repeats the etag' },
        ...errorResponses,
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const ifNone = c.req.header('if-none-match')?.replace(/^W\//, '').replace(/"/g, '');
      const since = q.since ?? ifNone;
      const r = await fleet.waitDesired(c.req.valid('param').id, { ...(since ? { since } : {}), ...(q.wait ? { wait: q.wait } : {}), signal: c.req.raw.signal }, c.get('principal'));
      if (!r.changed) return c.body(null, 304, { etag: `"${r.etag}"`, 'cache-control': 'no-store' }) as never;
      return c.json(r.answer, 200, { etag: `"${r.answer.etag}"`, 'cache-control': 'no-store' });
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
