import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from '../../http/env.ts';
import { errorResponses, json, jsonBody, ModelParam, RoutingTableSchema } from '../../http/schemas.ts';
import { defaultHook } from '../../http/validation.ts';
import { requireRole } from '../auth/auth.middleware.ts';
import type { RolloutService } from './rollouts.service.ts';
import type { StartInput } from './spec-input.ts';

const ChannelParams = ModelParam.extend({ channel: z.string().openapi({ param: { name: 'channel', in: 'path' }, example: 'production' }) });
const Duration = z.union([z.string().max(32), z.number().int().positive()]);
const Analysis = z
  .strictObject({
    successCondition: z.string().max(2048).optional(),
    failureCondition: z.string().max(2048).optional(),
    failureLimit: z.number().int().nonnegative().optional(),
    interval: Duration,
    count: z.number().int().positive().max(1000).optional(),
  })
  .openapi('Analysis');
const StepIn = z.union([
  z.strictObject({ weight: z.number() }),
  z.strictObject({ pause: z.union([Duration, z.null(), z.strictObject({ duration: Duration.optional() })]).optional() }),
  z.strictObject({ analysis: Analysis }),
]);
const Download = z.strictObject({ unmeteredOnly: z.boolean().optional(), chargingOnly: z.boolean().optional(), idleOnly: z.boolean().optional(), maxBytes: z.number().int().positive().optional() });
export const StartRolloutSchema = z
  .strictObject({
    version: z.string().min(1).max(128),
    strategy: z.enum(['immediate', 'canary', 'ab', 'shadow', 'blue-green', 'scheduled']).optional(),
    steps: z.array(StepIn).max(100).optional(),
    analysis: Analysis.optional(),
    // Shape and operators are checked by core's validateRoutingTable, which names the bad field.
    constraints: z.array(z.record(z.string(), z.unknown())).max(32).optional(),
    variant: z.string().max(128).optional(),
    platformVariants: z.record(z.string().max(64), z.string().max(128)).optional(),
    download: z.record(z.string().max(64), Download).optional(),
    critical: z.boolean().optional(),
    split: z.array(z.number()).optional(),
    shadowPercent: z.number().optional(),
    at: z.strictObject({ block: z.number().int().nonnegative().optional(), time: z.string().max(64).optional() }).optional(),
    deadline: z.string().max(64).optional(),
    reason: z.string().max(2048).optional(),
  })
  .openapi('StartRollout');

const RolloutSchema = z
  .object({
    id: z.string(),
    model: z.string(),
    channel: z.string(),
    state: z.enum(['scheduled', 'running', 'paused', 'succeeded', 'aborted', 'failed']),
    strategy: z.string(),
    version: z.string(),
    spec: z.record(z.string(), z.unknown()),
    previousTable: RoutingTableSchema,
    table: RoutingTableSchema,
    stepIndex: z.number(),
    stepStartedAt: z.string(),
    analysis: z.unknown(),
    message: z.string(),
    pausedReason: z.string().nullable(),
    critical: z.boolean(),
    deadline: z.string().nullable(),
    overdue: z.boolean(),
    revision: z.number(),
    createdBy: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
    finishedAt: z.string().nullable(),
  })
  .catchall(z.unknown())
  .openapi('Rollout');

export function rolloutsRoutes(rollouts: RolloutService) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: defaultHook as never });
  const tags = ['rollouts'];
  const read = requireRole('read');
  const pub = requireRole('publish');
  const base = '/models/{name}/channels/{channel}';

  app.openapi(
    createRoute({ method: 'post', path: `${base}/rollouts`, tags, middleware: pub, request: { params: ChannelParams, ...jsonBody(StartRolloutSchema) }, responses: { 201: json(RolloutSchema, 'started (or scheduled)'), ...errorResponses } }),
    async (c) => {
      const p = c.req.valid('param');
      return c.json(await rollouts.start(p.name, p.channel, c.req.valid('json') as StartInput, c.get('principal')), 201);
    },
  );
  app.openapi(
    createRoute({ method: 'get', path: `${base}/rollouts`, tags, middleware: read, request: { params: ChannelParams, query: z.object({ limit: z.coerce.number().int().min(1).max(500).optional() }) }, responses: { 200: json(z.object({ items: z.array(RolloutSchema) }), 'newest first'), ...errorResponses } }),
    async (c) => {
      const p = c.req.valid('param');
      return c.json({ items: await rollouts.list(p.name, p.channel, c.req.valid('query').limit) }, 200);
    },
  );
  app.openapi(
    createRoute({ method: 'get', path: `${base}/rollout`, tags, middleware: read, request: { params: ChannelParams }, responses: { 200: json(RolloutSchema, 'the active rollout, else the latest, with steps, metrics and A/B statistics'), ...errorResponses } }),
    async (c) => {
      const p = c.req.valid('param');
      return c.json(await rollouts.status(p.name, p.channel), 200);
    },
  );
  app.openapi(
    createRoute({ method: 'get', path: '/rollouts/{id}', tags, middleware: read, request: { params: z.object({ id: z.string().max(64) }) }, responses: { 200: json(RolloutSchema, 'one rollout'), ...errorResponses } }),
    async (c) => c.json(await rollouts.get(c.req.valid('param').id), 200),
  );
  for (const action of ['pause', 'resume', 'promote', 'abort'] as const) {
    app.openapi(
      createRoute({
        method: 'post',
        path: `${base}/rollout/${action}`,
        tags,
        middleware: pub,
        request: { params: ChannelParams, body: { content: { 'application/json': { schema: z.strictObject({ reason: z.string().max(2048).optional() }) } }, required: false } },
        responses: { 200: json(RolloutSchema, `after ${action}`), ...errorResponses },
      }),
      async (c) => {
        const p = c.req.valid('param');
        const body = (await c.req.json().catch(() => ({}))) as { reason?: unknown };
        const reason = typeof body.reason === 'string' ? body.reason.slice(0, 2048) : undefined;
        return c.json(await rollouts.action(p.name, p.channel, action, reason, c.get('principal')), 200);
      },
    );
  }
  return app;
}
