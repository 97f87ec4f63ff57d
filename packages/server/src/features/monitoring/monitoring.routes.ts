import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { ForbiddenError, InvalidInputError } from '@steward/core';
import type { MiddlewareHandler } from 'hono';
import {
  DriftReportSchema, FairnessOverTimeSchema, FairnessQuerySchema, IngestResultSchema, MonitorQuerySchema, PerformanceReportSchema,
  RangeQuerySchema, ReferenceCsvQuerySchema, ReferenceRequestSchema, ReferenceSchema, ReferenceSummarySchema, WindowViewSchema,
} from '@steward/core/api';
import type { AppEnv } from '../../http/env.ts';
import { errorResponses, json, jsonBody, ModelParam } from '../../http/schemas.ts';
import { defaultHook } from '../../http/validation.ts';
import { requireRole } from '../auth/auth.middleware.ts';
import { allows } from '../auth/roles.ts';
import type { MonitoringService } from './monitoring.service.ts';
import { parseRange } from './range.ts';

const VersionParams = ModelParam.extend({ version: z.string().max(128).openapi({ param: { name: 'version', in: 'path' }, example: '1.0.0' }) });

/** Event senders are services (publisher tokens) or agents (node tokens). */
const reporter: MiddlewareHandler<AppEnv> = async (c, next) => {
  const p = c.get('principal');
  if (!allows(p.role, 'node') && !allows(p.role, 'publish')) throw new ForbiddenError(`token "${p.name}" (role ${p.role}) may not report events; use a node or publisher token`, { role: p.role });
  return next();
};

export function monitoringRoutes(monitoring: MonitoringService, now: () => Date) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: defaultHook as never });
  const tags = ['monitoring'];
  const read = requireRole('read');
  const pub = requireRole('publish');

  app.openapi(
    createRoute({
      method: 'post', path: '/events', tags, middleware: reporter,
      description: 'NDJSON batch of prediction and feedback events (one JSON object per line). Bad lines are rejected and counted; the rest are accepted.',
      request: { body: { content: { 'application/x-ndjson': { schema: z.string() } }, required: true } },
      responses: { 200: json(IngestResultSchema, 'what was accepted and why the rest was not'), 413: json(z.unknown(), 'batch too large'), ...errorResponses },
    }),
    async (c) => c.json(await monitoring.ingest(await c.req.text()), 200),
  );

  app.openapi(
    createRoute({
      method: 'get', path: '/models/{name}/monitor', tags, middleware: read,
      request: { params: ModelParam, query: MonitorQuerySchema },
      responses: { 200: json(z.object({ items: z.array(WindowViewSchema) }), 'metrics per window, oldest first'), ...errorResponses },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const items = await monitoring.metrics(c.req.valid('param').name, q.version, q.window ?? '1h', parseRange(q, now()));
      return c.json({ items }, 200);
    },
  );

  const versionRoute = <Q extends z.ZodObject, R extends z.ZodType>(path: string, description: string, query: Q, result: R) =>
    createRoute({ method: 'get', path: `/models/{name}/versions/{version}/${path}`, tags, middleware: read, description, request: { params: VersionParams, query }, responses: { 200: json(result, description), ...errorResponses } });

  app.openapi(versionRoute('drift', 'Evidently-default drift of each feature against the reference profile', RangeQuerySchema, DriftReportSchema), async (c) => {
    const p = c.req.valid('param');
    return c.json(await monitoring.drift(p.name, p.version, parseRange(c.req.valid('query'), now())), 200);
  });
  app.openapi(versionRoute('performance', 'realized metrics from joined labels and CBPE estimates without labels', RangeQuerySchema, PerformanceReportSchema), async (c) => {
    const p = c.req.valid('param');
    return c.json(await monitoring.performance(p.name, p.version, parseRange(c.req.valid('query'), now())), 200);
  });
  app.openapi(versionRoute('fairness', 'Fairlearn group metrics with bootstrap CIs', FairnessQuerySchema, FairnessOverTimeSchema), async (c) => {
    const p = c.req.valid('param');
    const q = c.req.valid('query');
    return c.json(await monitoring.fairness(p.name, p.version, q.attr, parseRange(q, now()), { ...(q.minGroupSize ? { minGroupSize: q.minGroupSize } : {}) }), 200);
  });

  app.openapi(createRoute({ method: 'get', path: '/models/{name}/versions/{version}/reference', tags, middleware: read, request: { params: VersionParams }, responses: { 200: json(ReferenceSchema, 'the reference profile'), ...errorResponses } }), async (c) => {
    const p = c.req.valid('param');
    return c.json(await monitoring.reference(p.name, p.version), 200);
  });
  app.openapi(
    createRoute({
      method: 'post', path: '/models/{name}/versions/{version}/reference', tags, middleware: pub,
      description: 'Build the reference profile from a dataset registered on the version (by name or sha256)',
      request: { params: VersionParams, ...jsonBody(ReferenceRequestSchema) },
      responses: { 200: json(ReferenceSummarySchema, 'profile summary'), ...errorResponses },
    }),
    async (c) => {
      const p = c.req.valid('param');
      const { dataset, ...o } = c.req.valid('json');
      return c.json(await monitoring.setReferenceFromDataset(p.name, p.version, dataset, o), 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'put', path: '/models/{name}/versions/{version}/reference', tags, middleware: pub,
      description: 'Upload a CSV (text/csv body, within the JSON size limit) as the reference; options in the query',
      request: { params: VersionParams, query: ReferenceCsvQuerySchema, body: { content: { 'text/csv': { schema: z.string() } }, required: true } },
      responses: { 200: json(ReferenceSummarySchema, 'profile summary'), ...errorResponses },
    }),
    async (c) => {
      const p = c.req.valid('param');
      const q = c.req.valid('query');
      const csv = await c.req.text();
      if (!csv.trim()) throw new InvalidInputError('empty CSV body', {}, 'empty_dataset');
      const o = { ...(q.label ? { label: q.label } : {}), ...(q.positiveClass ? { positiveClass: q.positiveClass } : {}), ...(q.score ? { score: q.score } : {}), ...(q.categorical ? { categorical: q.categorical.split(',') } : {}) };
      return c.json(await monitoring.setReferenceCsv(p.name, p.version, csv, o, 'upload'), 200);
    },
  );
  return app;
}
