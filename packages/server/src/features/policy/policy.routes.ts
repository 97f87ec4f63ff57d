import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { PolicyRecordSchema, PolicySetSchema } from '@steward/core/api';
import type { AppEnv } from '../../http/env.ts';
import { errorResponses, json, jsonBody, ModelParam } from '../../http/schemas.ts';
import { defaultHook } from '../../http/validation.ts';
import { requireRole } from '../auth/auth.middleware.ts';
import type { PolicyService } from './policy.service.ts';

export function policyRoutes(policies: PolicyService) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: defaultHook as never });
  const tags = ['policy'];
  app.openapi(
    createRoute({ method: 'get', path: '/models/{name}/policy', tags, middleware: requireRole('read'), request: { params: ModelParam }, responses: { 200: json(PolicyRecordSchema, 'the policy'), ...errorResponses } }),
    async (c) => c.json(await policies.get(c.req.valid('param').name), 200),
  );
  app.openapi(
    createRoute({
      method: 'put',
      path: '/models/{name}/policy',
      tags,
      // admin: a policy can name commands the server runs and webhooks it calls.
      middleware: requireRole('admin'),
      description: 'Replace the policy. The body carries the YAML text; errors give the line in `details.issues[].line`.',
      request: { params: ModelParam, ...jsonBody(PolicySetSchema) },
      responses: { 200: json(PolicyRecordSchema, 'the stored policy'), ...errorResponses },
    }),
    async (c) => c.json(await policies.set(c.req.valid('param').name, c.req.valid('json').yaml, c.get('principal')), 200),
  );
  return app;
}
