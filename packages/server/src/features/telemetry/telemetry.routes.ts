import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { ForbiddenError } from '@steward/core';
import type { AppEnv } from '../../http/env.ts';
import { errorResponses, json, jsonBody } from '../../http/schemas.ts';
import { defaultHook } from '../../http/validation.ts';
import { allows } from '../auth/roles.ts';
import type { TelemetryService } from './telemetry.service.ts';

const count = z.number().int().nonnegative();
const ms = z.number().nonnegative().refine(Number.isFinite, 'must be finite');
const WindowSchema = z
  .strictObject({
    model: z.string().min(1).max(256),
    channel: z.string().max(128).optional(),
    version: z.string().min(1).max(128),
    variant: z.string().max(128).optional(),
    arm: z.string().max(128).optional(),
    start: z.iso.datetime({ offset: true }),
    end: z.iso.datetime({ offset: true }),
    requests: count,
    errors: count,
    latencyMs: z.strictObject({ p50: ms.optional(), p90: ms.optional(), p95: ms.optional(), p99: ms.optional() }).optional(),
    latencyHistogram: z.strictObject({ boundsMs: z.array(ms).min(1).max(64), counts: z.array(count).min(2).max(65) }).optional(),
    shadow: z.strictObject({ compared: count, agreed: count }).optional(),
    counters: z.record(z.string().min(1).max(64).regex(/^[A-Za-z0-9_.-]+$/), count).refine((c) => Object.keys(c).length <= 32, 'at most 32 counters').optional(),
  })
  .openapi('TelemetryWindow');
export const TelemetryBodySchema = z.strictObject({ node: z.string().max(256).optional(), windows: z.array(WindowSchema).min(1).max(500) }).openapi('TelemetryReport');

/** Agents report with node tokens; services that embed the SDK often hold publisher tokens. */
const reporter: MiddlewareHandler<AppEnv> = async (c, next) => {
  const p = c.get('principal');
  if (!allows(p.role, 'node') && !allows(p.role, 'publish')) throw new ForbiddenError(`token "${p.name}" has role ${p.role}, which may not report telemetry; use a node or publisher token`, { role: p.role });
  return next();
};

export function telemetryRoutes(telemetry: TelemetryService) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: defaultHook as never });
  app.openapi(
    createRoute({
      method: 'post',
      path: '/telemetry',
      tags: ['telemetry'],
      middleware: reporter,
      request: jsonBody(TelemetryBodySchema),
      responses: { 202: json(z.object({ accepted: z.number() }), 'stored'), ...errorResponses },
    }),
    async (c) => {
      const b = c.req.valid('json');
      const node = b.node ?? c.get('principal').name;
      const res = await telemetry.ingest(
        b.windows.map((w) => ({
          model: w.model,
          channel: w.channel ?? '',
          version: w.version,
          variant: w.variant ?? '',
          arm: w.arm ?? '',
          node,
          start: new Date(w.start).toISOString(),
          end: new Date(w.end).toISOString(),
          requests: w.requests,
          errors: w.errors,
          ...(w.latencyMs || w.latencyHistogram ? { latency: { ...(w.latencyMs ? { percentiles: w.latencyMs } : {}), ...(w.latencyHistogram ? { histogram: w.latencyHistogram } : {}) } } : {}),
          shadowCompared: w.shadow?.compared ?? 0,
          shadowAgreed: w.shadow?.agreed ?? 0,
          counters: w.counters ?? {},
        })),
      );
      return c.json(res, 202);
    },
  );
  return app;
}
