import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from '../../http/env.ts';
import { ChannelAtSchema, ChannelEventSchema, ChannelSchema, ChannelSetSchema, pageOf, RollbackRequestSchema, RollbackResultSchema } from '@steward/core/api';
import { errorResponses, json, jsonBody, ModelParam } from '../../http/schemas.ts';
import { defaultHook } from '../../http/validation.ts';
import { requireRole } from '../auth/auth.middleware.ts';
import type { ChannelService } from './channels.service.ts';

const ChannelParams = ModelParam.extend({ channel: z.string().openapi({ param: { name: 'channel', in: 'path' }, example: 'production' }) });

export function channelsRoutes(channels: ChannelService) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: defaultHook as never });
  const tags = ['channels'];
  const read = requireRole('read');
  const pub = requireRole('publish');

  app.openapi(
    createRoute({ method: 'get', path: '/models/{name}/channels', tags, middleware: read, request: { params: ModelParam }, responses: { 200: json(z.object({ items: z.array(ChannelSchema) }), 'channels'), ...errorResponses } }),
    async (c) => c.json(await channels.list(c.req.valid('param').name), 200),
  );
  app.openapi(
    createRoute({ method: 'get', path: '/models/{name}/channels/{channel}', tags, middleware: read, request: { params: ChannelParams }, responses: { 200: json(ChannelSchema, 'channel state'), ...errorResponses } }),
    async (c) => {
      const p = c.req.valid('param');
      return c.json(await channels.get(p.name, p.channel), 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'put',
      path: '/models/{name}/channels/{channel}',
      tags,
      middleware: pub,
      request: { params: ChannelParams, ...jsonBody(ChannelSetSchema) },
      responses: { 200: json(ChannelSchema, 'new state'), ...errorResponses },
    }),
    async (c) => {
      const p = c.req.valid('param');
      const b = c.req.valid('json');
      return c.json((await channels.set(p.name, p.channel, b.version, b.reason ?? '', c.get('principal'), b.force ? { force: true } : {})).channel, 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/models/{name}/channels/{channel}/history',
      tags,
      middleware: read,
      request: { params: ChannelParams, query: z.object({ limit: z.coerce.number().int().min(1).max(500).optional(), cursor: z.string().max(256).optional() }) },
      responses: { 200: json(pageOf(ChannelEventSchema), 'events, newest first'), ...errorResponses },
    }),
    async (c) => {
      const p = c.req.valid('param');
      const q = c.req.valid('query');
      return c.json(await channels.history(p.name, p.channel, q.limit, q.cursor), 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/models/{name}/channels/{channel}/at',
      tags,
      middleware: read,
      request: { params: ChannelParams, query: z.object({ time: z.iso.datetime({ offset: true }) }) },
      responses: { 200: json(ChannelAtSchema, 'what was live at that time'), ...errorResponses },
    }),
    async (c) => {
      const p = c.req.valid('param');
      return c.json(await channels.at(p.name, p.channel, new Date(c.req.valid('query').time)), 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/models/{name}/channels/{channel}/rollback',
      tags,
      middleware: pub,
      request: { params: ChannelParams, ...jsonBody(RollbackRequestSchema) },
      responses: {
        200: json(RollbackResultSchema, 'the change (applied unless dryRun)'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const p = c.req.valid('param');
      return c.json(await channels.rollback(p.name, p.channel, c.req.valid('json'), c.get('principal')), 200);
    },
  );
  return app;
}
