import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { DatasetInputSchema, DatasetRecordSchema } from '@steward/core/api';
import type { AppEnv } from '../../http/env.ts';
import { errorResponses, json, jsonBody } from '../../http/schemas.ts';
import { defaultHook } from '../../http/validation.ts';
import { requireRole } from '../auth/auth.middleware.ts';
import type { DatasetService } from './datasets.service.ts';

const NameParam = z.object({ name: z.string().openapi({ param: { name: 'name', in: 'path' }, example: 'adult-test' }) });

export function datasetsRoutes(datasets: DatasetService) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: defaultHook as never });
  const tags = ['datasets'];
  app.openapi(
    createRoute({
      method: 'post',
      path: '/datasets/{name}/versions',
      tags,
      middleware: requireRole('publish'),
      description: 'Register an evaluation dataset version whose bytes were uploaded with PUT /blobs/{sha256}.',
      request: { params: NameParam, ...jsonBody(DatasetInputSchema) },
      responses: { 201: json(DatasetRecordSchema, 'registered'), ...errorResponses },
    }),
    async (c) => c.json(await datasets.push(c.req.valid('param').name, c.req.valid('json'), c.get('principal')), 201),
  );
  app.openapi(
    createRoute({ method: 'get', path: '/datasets', tags, middleware: requireRole('read'), request: { query: z.object({ name: z.string().max(128).optional() }) }, responses: { 200: json(z.object({ items: z.array(DatasetRecordSchema) }), 'datasets'), ...errorResponses } }),
    async (c) => c.json({ items: await datasets.list(c.req.valid('query').name) }, 200),
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/datasets/{name}/versions/{version}',
      tags,
      middleware: requireRole('read'),
      request: { params: NameParam.extend({ version: z.string().openapi({ param: { name: 'version', in: 'path' }, example: '1' }) }) },
      responses: { 200: json(DatasetRecordSchema, 'dataset'), ...errorResponses },
    }),
    async (c) => {
      const p = c.req.valid('param');
      return c.json(await datasets.get(p.name, p.version), 200);
    },
  );
  return app;
}
