import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { RolloutActionSchema, RolloutSchema, RolloutViewSchema, StartRolloutSchema, type StartRollout } from '@steward/core/api';
import type { AppEnv } from '../../http/env.ts';
import { errorResponses, json, jsonBody, ModelParam } from '../../http/schemas.ts';
import { defaultHook } from '../../http/validation.ts';
import { requireRole } from '../auth/auth.middleware.ts';
import type { RolloutService } from './rollouts.service.ts';

const ChannelParams = ModelParam.extend({ channel: z.string().openapi({ param: { name: 'channel', in: 'path' }, example: 'production' }) });
export function rolloutsRoutes(rollouts: RolloutService) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: defaultHook as never });
  const tags = ['rollouts'];
  const read = requireRole('read');
  const pub = requireRole('publish');
  const base = '/models/{name}/channels/{channel}';

  app.openapi(
    createRoute({ method: 'post', path: `${base}/rollouts`, tags, middleware: pub, request: { params: ChannelParams, ...jsonBody(StartRolloutSchema) }, responses: { 201: json(RolloutViewSchema, 'started (or scheduled)'), ...errorResponses } }),
    async (c) => {
      const p = c.req.valid('param');
      return c.json(await rollouts.start(p.name, p.channel, c.req.valid('json') as StartRollout, c.get('principal')), 201);
    },
  );
  app.openapi(
    createRoute({ method: 'get', path: `${base}/rollouts`, tags, middleware: read, request: { params: ChannelParams, query: z.object({ limit: z.coerce.number().int().min(1).max(500).optional() }) }, responses: { 200: json(z.object({ items: z.array(RolloutSchema) }), 'newest first'), ...errorResponses } }),
    async (c) => {
      const p = c.req.valid('param');
      return c.json({ items: await rollouts.list(p.name, p.channel, c.req.valid('query').limit) }, 200);
    },
  );
  app.openapi(
    createRoute({ method: 'get', path: `${base}/rollout`, tags, middleware: read, request: { params: ChannelParams }, responses: { 200: json(RolloutViewSchema, 'the active rollout, else the latest, with steps, metrics and A/B statistics'), ...errorResponses } }),
    async (c) => {
      const p = c.req.valid('param');
      return c.json(await rollouts.status(p.name, p.channel), 200);
    },
  );
  app.openapi(
    createRoute({ method: 'get', path: '/rollouts/{id}', tags, middleware: read, request: { params: z.object({ id: z.string().max(64) }) }, responses: { 200: json(RolloutViewSchema, 'one rollout'), ...errorResponses } }),
    async (c) => c.json(await rollouts.get(c.req.valid('param').id), 200),
  );
  for (const action of ['pause', 'resume', 'promote', 'abort'] as const) {
    app.openapi(
      createRoute({
        method: 'post',
        path: `${base}/rollout/${action}`,
        tags,
        middleware: pub,
        request: { params: ChannelParams, body: { content: { 'application/json': { schema: RolloutActionSchema } }, required: false } },
        responses: { 200: json(RolloutViewSchema, `after ${action}`), ...errorResponses },
      }),
      async (c) => {
        const p = c.req.valid('param');
        const body = (await c.req.json().catch(() => ({}))) as { reason?: unknown };
        const reason = typeof body.reason === 'string' ? body.reason.slice(0, 2048) : undefined;
        return c.json(await rollouts.action(p.name, p.channel, action, reason, c.get('principal')), 200);
      },
    );
  }
  return app;
}
