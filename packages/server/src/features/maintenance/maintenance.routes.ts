import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { DeliverySchema, IngestResultSchema, LabelImportSchema, LabelQueueQuerySchema, QueuedLabelSchema, RulesEvaluationSchema, RulesViewSchema } from '@steward/core/api';
import type { AppEnv } from '../../http/env.ts';
import { errorResponses, json, jsonBody, ModelParam } from '../../http/schemas.ts';
import { defaultHook } from '../../http/validation.ts';
import { requireRole } from '../auth/auth.middleware.ts';
import type { MaintenanceService } from './maintenance.service.ts';

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
      responses: { 200: json(RulesViewSchema, 'the stored rules'), ...errorResponses },
    }),
    async (c) => c.json(await maintenance.setRules(c.req.valid('param').name, await c.req.text(), c.get('principal')), 200),
  );
  app.openapi(
    createRoute({ method: 'get', path: '/models/{name}/rules', tags, middleware: read, request: { params: ModelParam }, responses: { 200: json(RulesViewSchema, 'rules, their source and their state'), ...errorResponses } }),
    async (c) => c.json(await maintenance.getRules(c.req.valid('param').name), 200),
  );
  app.openapi(
    createRoute({ method: 'post', path: '/models/{name}/rules/evaluate', tags, middleware: pub, description: 'Evaluate the rules now (they also run on a timer)', request: { params: ModelParam }, responses: { 200: json(RulesEvaluationSchema, 'outcome per rule'), ...errorResponses } }),
    async (c) => {
      const name = c.req.valid('param').name;
      const res = await maintenance.tick(name);
      return c.json({ model: name, outcomes: res[0]?.outcomes ?? [] }, 200);
    },
  );
  app.openapi(
    createRoute({ method: 'get', path: '/models/{name}/rules/deliveries', tags, middleware: read, request: { params: ModelParam }, responses: { 200: json(z.object({ items: z.array(DeliverySchema) }), 'webhook delivery log, newest first'), ...errorResponses } }),
    async (c) => c.json({ items: await maintenance.deliveries(c.req.valid('param').name) }, 200),
  );
  app.openapi(
    createRoute({
      method: 'get', path: '/models/{name}/labels', tags, middleware: read,
      request: { params: ModelParam, query: LabelQueueQuerySchema },
      responses: { 200: json(z.object({ items: z.array(QueuedLabelSchema) }), 'rows queued for labelling, most uncertain first'), ...errorResponses },
    }),
    async (c) => {
      const q = c.req.valid('query');
      return c.json({ items: await maintenance.labelQueue(c.req.valid('param').name, q.status, q.limit) }, 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'post', path: '/models/{name}/labels', tags, middleware: pub,
      request: { params: ModelParam, ...jsonBody(LabelImportSchema) },
      responses: { 200: json(IngestResultSchema, 'ingest result of the resulting feedback events'), ...errorResponses },
    }),
    async (c) => c.json(await maintenance.importLabels(c.req.valid('param').name, c.req.valid('json').labels), 200),
  );
  return app;
}
