import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from '../../http/env.ts';
import { ModelCreateSchema, ModelSchema, ModelUpdateSchema, pageOf } from '@steward/core/api';
import { errorResponses, json, jsonBody, ModelParam } from '../../http/schemas.ts';
import { defaultHook } from '../../http/validation.ts';
import { requireRole } from '../auth/auth.middleware.ts';
import type { ModelService } from './models.service.ts';

export function modelsRoutes(models: ModelService) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: defaultHook as never });

  app.openapi(
    createRoute({ method: 'post', path: '/models', tags: ['models'], middleware: requireRole('publish'), request: jsonBody(ModelCreateSchema), responses: { 201: json(ModelSchema, 'created'), ...errorResponses } }),
    async (c) => c.json(await models.create(c.req.valid('json'), c.get('principal')), 201),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/models',
      tags: ['models'],
      middleware: requireRole('read'),
      request: { query: z.object({ archived: z.enum(['true', 'false']).optional(), limit: z.coerce.number().int().min(1).max(500).optional(), cursor: z.string().optional() }) },
      responses: { 200: json(pageOf(ModelSchema), 'models by name'), ...errorResponses },
    }),
    async (c) => {
      const q = c.req.valid('query');
      return c.json(await models.list({ archived: q.archived === 'true', ...(q.limit ? { limit: q.limit } : {}), ...(q.cursor ? { cursor: q.cursor } : {}) }), 200);
    },
  );

  app.openapi(
    createRoute({ method: 'get', path: '/models/{name}', tags: ['models'], middleware: requireRole('read'), request: { params: ModelParam }, responses: { 200: json(ModelSchema, 'the model'), ...errorResponses } }),
    async (c) => c.json(await models.get(c.req.valid('param').name), 200),
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/models/{name}',
      tags: ['models'],
      middleware: requireRole('publish'),
      request: { params: ModelParam, ...jsonBody(ModelUpdateSchema) },
      responses: { 200: json(ModelSchema, 'updated'), ...errorResponses },
    }),
    async (c) => c.json(await models.update(c.req.valid('param').name, c.req.valid('json'), c.get('principal')), 200),
  );
  return app;
}
