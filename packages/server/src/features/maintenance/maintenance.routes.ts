import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from '../../http/env.ts';
import { errorResponses, json, jsonBody, ModelParam } from '../../http/schemas.ts';
import { defaultHook } from '../../http/validation.ts';
import { requireRole } from '../auth/auth.middleware.ts';
import type { MaintenanceService } from './maintenance.service.ts';

const Loose = z.record(z.string(), z.unknown());

export function maintenanceRoutes(maintenance: MaintenanceService) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: defaultHook as never });
  const tags = ['maintenance'];
  const read = requireRole('read');
  const pub = requireRole('publish');

  app.openapi(
    createRoute({
      method: 'put', path: '/models/{name}/rules', tags, middleware: pub,
      description: 'Replace the model\'s maintenance rules with a YAML (or JSON) rules file',
      request: { params: ModelParam, body: { content: { 'application/yaml': { schema: z.string() } }, required: true } },
      responses: { 200: json(Loose, 'the stored rules'), ...errorResponses },
    }),
    async (c) => c.json(await maintenance.setRules(c.req.valid('param').name, await c.req.text(), c.get('principal')), 200),
  );
  app.openapi(
    createRoute({ method: 'get', path: '/models/{name}/rules', tags, middleware: read, request: { params: ModelParam }, responses: { 200: json(Loose, 'rules, their source and their state'), ...errorResponses } }),
    async (c) => c.json(await maintenance.getRules(c.req.valid('param').name), 200),
  );
  app.openapi(
    createRoute({ method: 'post', path: '/models/{name}/rules/evaluate', tags, middleware: pub, description: 'Evaluate the rules now (they also run on a timer)', request: { params: ModelParam }, responses: { 200: json(Loose, 'outcome per rule'), ...errorResponses } }),
    async (c) => {
      const name = c.req.valid('param').name;
      const res = await maintenance.tick(name);
      return c.json({ model: name, outcomes: res[0]?.outcomes ?? [] }, 200);
    },
  );
  app.openapi(
    createRoute({ method: 'get', path: '/models/{name}/rules/deliveries', tags, middleware: read, request: { params: ModelParam }, responses: { 200: json(z.object({ items: z.array(Loose) }), 'webhook delivery log, newest first'), ...errorResponses } }),
    async (c) => c.json({ items: await maintenance.deliveries(c.req.valid('param').name) }, 200),
  );
  app.openapi(
    createRoute({
      method: 'get', path: '/models/{name}/labels', tags, middleware: read,
      request: { params: ModelParam, query: z.object({ status: z.enum(['queued', 'labelled']).optional(), limit: z.coerce.number().int().min(1).max(10_000).optional() }) },
      responses: { 200: json(z.object({ items: z.array(Loose) }), 'rows queued for labelling, most uncertain first'), ...errorResponses },
    }),
    async (c) => {
      const q = c.req.valid('query');
      return c.json({ items: await maintenance.labelQueue(c.req.valid('param').name, q.status, q.limit) }, 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'post', path: '/models/{name}/labels', tags, middleware: pub,
      request: { params: ModelParam, ...jsonBody(z.strictObject({ labels: z.array(z.strictObject({ requestId: z.string().min(1).max(256), label: z.union([z.literal(0), z.literal(1), z.boolean()]) })).max(50_000) })) },
      responses: { 200: json(Loose, 'ingest result of the resulting feedback events'), ...errorResponses },
    }),
    async (c) => c.json(await maintenance.importLabels(c.req.valid('param').name, c.req.valid('json').labels), 200),
  );
  return app;
}
