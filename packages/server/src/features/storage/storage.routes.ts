import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { FsckReportSchema, GcOptionsSchema, GcReportSchema, StorageStatsSchema } from '@steward/core/api';
import type { AppEnv } from '../../http/env.ts';
import { errorResponses, json, jsonBody } from '../../http/schemas.ts';
import { defaultHook } from '../../http/validation.ts';
import { requireRole } from '../auth/auth.middleware.ts';
import type { StorageService } from './storage.service.ts';
import type { DiskReserve } from './disk-reserve.ts';

/** /storage/stats, /storage/gc and /storage/fsck. */
export function storageRoutes(storage: StorageService, reserve?: DiskReserve) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: defaultHook as never });
  const tags = ['storage'];
  app.openapi(
    createRoute({ method: 'get', path: '/storage/stats', tags, middleware: requireRole('read'), request: { query: z.object({ model: z.string().max(256).optional() }) }, responses: { 200: json(StorageStatsSchema, 'logical vs stored bytes'), ...errorResponses } }),
    async (c) => {
      const { model } = c.req.valid('query');
      const stats = await storage.stats(model);
      if (model !== undefined || !reserve) return c.json(stats, 200);
      return c.json({ ...stats, disk: { minFreeBytes: reserve.minFreeBytes, places: reserve.space().map((p) => ({ place: p.place, freeBytes: p.freeBytes })) } }, 200);
    },
  );
  app.openapi(
    createRoute({ method: 'post', path: '/storage/gc', tags, middleware: requireRole('admin'), request: jsonBody(GcOptionsSchema), responses: { 200: json(GcReportSchema, 'what was (or, with dryRun, would be) removed'), ...errorResponses } }),
    async (c) => c.json(await storage.gc(c.req.valid('json')), 200),
  );
  app.openapi(
    createRoute({ method: 'post', path: '/storage/fsck', tags, middleware: requireRole('admin'), responses: { 200: json(FsckReportSchema, 'ok is false when any problem was found'), ...errorResponses } }),
    async (c) => c.json(await storage.fsck(), 200),
  );
  return app;
}
