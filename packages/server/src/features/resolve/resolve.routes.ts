import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import type { UnitContext } from '@steward/core';
import { ResolutionSchema, ResolveQuerySchema } from '@steward/core/api';
import type { AppEnv } from '../../http/env.ts';
import { errorResponses, json } from '../../http/schemas.ts';
import { defaultHook } from '../../http/validation.ts';
import { requireRole } from '../auth/auth.middleware.ts';
import { attributesFromQuery, type ResolveService } from './resolve.service.ts';

export function resolveRoutes(service: ResolveService) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: defaultHook as never });
  app.openapi(
    createRoute({ method: 'get', path: '/resolve', tags: ['resolve'], middleware: requireRole('read'), request: { query: ResolveQuerySchema }, responses: { 200: json(ResolutionSchema, 'what this unit is served'), ...errorResponses } }),
    async (c) => {
      const q = c.req.valid('query') as Record<string, string>;
      const context: UnitContext = {};
      if (q.platform) context.platform = q.platform;
      if (q.os) context.os = q.os;
      if (q.appVersion) context.appVersion = q.appVersion;
      if (q.region) context.region = q.region;
      const attributes = attributesFromQuery(q);
      if (Object.keys(attributes).length > 0) context.attributes = attributes;
      return c.json(await service.resolve(q.model!, q.channel!, q.unit, context), 200);
    },
  );
  return app;
}
