import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from '../../http/env.ts';
import { errorResponses, json, jsonBody, Sha256Schema } from '../../http/schemas.ts';
import { defaultHook } from '../../http/validation.ts';
import { requireRole } from '../auth/auth.middleware.ts';
import type { DatasetService } from './datasets.service.ts';

const Col = z.string().min(1).max(256);
export const DatasetSchema = z
  .object({
    name: z.string(),
    version: z.string(),
    sha256: z.string(),
    size: z.number(),
    format: z.enum(['csv', 'jsonl']),
    rows: z.number(),
    schema: z.object({
      columns: z.array(z.object({ name: z.string(), type: z.enum(['number', 'string']) })),
      label: z.string(),
      features: z.array(z.string()),
      sensitive: z.array(z.string()),
      task: z.enum(['binary', 'multiclass', 'regression']),
      positiveClass: z.string().optional(),
      classes: z.array(z.string()).optional(),
    }),
    createdAt: z.string(),
    createdBy: z.string(),
  })
  .openapi('Dataset');

const DatasetInputSchema = z
  .strictObject({
    version: z.string().min(1).max(64),
    sha256: Sha256Schema,
    format: z.enum(['csv', 'jsonl']),
    label: Col,
    sensitive: z.array(Col).max(32).optional(),
    features: z.array(Col).max(4096).optional(),
    task: z.enum(['binary', 'multiclass', 'regression']).optional(),
    positiveClass: z.string().max(256).optional(),
  })
  .openapi('DatasetInput');

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
      responses: { 201: json(DatasetSchema, 'registered'), ...errorResponses },
    }),
    async (c) => c.json(await datasets.push(c.req.valid('param').name, c.req.valid('json'), c.get('principal')), 201),
  );
  app.openapi(
    createRoute({ method: 'get', path: '/datasets', tags, middleware: requireRole('read'), request: { query: z.object({ name: z.string().max(128).optional() }) }, responses: { 200: json(z.object({ items: z.array(DatasetSchema) }), 'datasets'), ...errorResponses } }),
    async (c) => c.json({ items: await datasets.list(c.req.valid('query').name) }, 200),
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/datasets/{name}/versions/{version}',
      tags,
      middleware: requireRole('read'),
      request: { params: NameParam.extend({ version: z.string().openapi({ param: { name: 'version', in: 'path' }, example: '1' }) }) },
      responses: { 200: json(DatasetSchema, 'dataset'), ...errorResponses },
    }),
    async (c) => {
      const p = c.req.valid('param');
      return c.json(await datasets.get(p.name, p.version), 200);
    },
  );
  return app;
}
