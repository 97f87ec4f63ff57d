import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { ForbiddenError } from '@steward/core';
import { TelemetryReportSchema } from '@steward/core/api';
import type { AppEnv } from '../../http/env.ts';
import { errorResponses, json, jsonBody } from '../../http/schemas.ts';
import { defaultHook } from '../../http/validation.ts';
import { allows } from '../auth/roles.ts';
import type { TelemetryService } from './telemetry.service.ts';


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
      request: jsonBody(TelemetryReportSchema),
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
