import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { UnitContext } from '@steward/core';
import type { AppEnv } from '../../http/env.ts';
import { errorResponses, json } from '../../http/schemas.ts';
import { defaultHook } from '../../http/validation.ts';
import { requireRole } from '../auth/auth.middleware.ts';
import { attributesFromQuery, type ResolveService } from './resolve.service.ts';

const File = z.object({ path: z.string(), sha256: z.string(), size: z.number(), url: z.string() });
const ResolutionSchema = z
  .object({
    model: z.string(),
    channel: z.string(),
    seq: z.number(),
    version: z.string(),
    variant: z.string(),
    arm: z.string(),
    files: z.array(File),
    download: z.record(z.string(), z.unknown()).nullable(),
    critical: z.boolean(),
    rolloutId: z.string().nullable(),
    shadow: z.object({ version: z.string(), variant: z.string(), files: z.array(File) }).optional(),
  })
  .openapi('Resolution');

const Query = z
  .object({
    model: z.string().min(1).max(256),
    channel: z.string().min(1).max(128),
    unit: z.string().max(512).optional(),
    platform: z.string().max(64).optional(),
    os: z.string().max(64).optional(),
    appVersion: z.string().max(64).optional(),
    region: z.string().max(64).optional(),
  })
  .catchall(z.string().max(256).openapi({ description: 'attr.<name>=<value>: custom attributes for step constraints' }));

export function resolveRoutes(service: ResolveService) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: defaultHook as never });
  app.openapi(
    createRoute({ method: 'get', path: '/resolve', tags: ['resolve'], middleware: requireRole('read'), request: { query: Query }, responses: { 200: json(ResolutionSchema, 'what this unit is served'), ...errorResponses } }),
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
