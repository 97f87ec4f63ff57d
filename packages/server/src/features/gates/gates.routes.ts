import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { ApprovalSchema, ApproveRequestSchema, EvaluateRequestSchema, EvaluationSchema, ValidateRequestSchema, ValidationQuerySchema, ValidationReportSchema } from '@steward/core/api';
import type { AppEnv } from '../../http/env.ts';
import { errorResponses, json, jsonBody, ModelParam } from '../../http/schemas.ts';
import { defaultHook } from '../../http/validation.ts';
import type { ApprovalService } from '../approvals/approvals.service.ts';
import { requireRole } from '../auth/auth.middleware.ts';
import type { EvaluationService } from '../evaluation/evaluation.service.ts';
import type { ValidationService } from './validation.service.ts';

const RefParams = ModelParam.extend({ ref: z.string().openapi({ param: { name: 'ref', in: 'path' }, example: '1.2.0' }) });

/** Evaluations, validation reports and approvals: sub-resources of a version. */
export function gatesRoutes(s: { evaluations: EvaluationService; validations: ValidationService; approvals: ApprovalService }) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: defaultHook as never });
  const base = '/models/{name}/versions/{ref}';
  const read = requireRole('read');

  app.openapi(
    createRoute({
      method: 'post',
      path: `${base}/evaluations`,
      tags: ['evaluations'],
      middleware: requireRole('publish'),
      description: "Run the version's model.onnx in onnxruntime on a registered dataset and store the metrics.",
      request: { params: RefParams, ...jsonBody(EvaluateRequestSchema) },
      responses: { 201: json(EvaluationSchema, 'stored evaluation'), ...errorResponses },
    }),
    async (c) => {
      const p = c.req.valid('param');
      return c.json(await s.evaluations.evaluate(p.name, p.ref, c.req.valid('json').dataset, c.get('principal')), 201);
    },
  );
  app.openapi(
    createRoute({ method: 'get', path: `${base}/evaluations`, tags: ['evaluations'], middleware: read, request: { params: RefParams }, responses: { 200: json(z.object({ items: z.array(EvaluationSchema) }), 'newest first'), ...errorResponses } }),
    async (c) => {
      const p = c.req.valid('param');
      return c.json({ items: await s.evaluations.list(p.name, p.ref) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: `${base}/validations`,
      tags: ['validations'],
      middleware: requireRole('publish'),
      description: "Run the channel's gates (from the model's policy) on the version and store the report.",
      request: { params: RefParams, ...jsonBody(ValidateRequestSchema) },
      responses: { 201: json(ValidationReportSchema, 'the report (its status may be fail or error)'), ...errorResponses },
    }),
    async (c) => {
      const p = c.req.valid('param');
      return c.json(await s.validations.validate(p.name, p.ref, c.req.valid('json').channel, c.get('principal')), 201);
    },
  );
  app.openapi(
    createRoute({ method: 'get', path: `${base}/validations`, tags: ['validations'], middleware: read, request: { params: RefParams, query: ValidationQuerySchema }, responses: { 200: json(z.object({ items: z.array(ValidationReportSchema) }), 'newest first'), ...errorResponses } }),
    async (c) => {
      const p = c.req.valid('param');
      const q = c.req.valid('query');
      return c.json({ items: await s.validations.list(p.name, p.ref, q.channel, q.limit) }, 200);
    },
  );
  app.openapi(
    createRoute({ method: 'get', path: `${base}/validations/latest`, tags: ['validations'], middleware: read, request: { params: RefParams, query: ValidationQuerySchema }, responses: { 200: json(ValidationReportSchema, 'latest report'), ...errorResponses } }),
    async (c) => {
      const p = c.req.valid('param');
      return c.json(await s.validations.latest(p.name, p.ref, c.req.valid('query').channel), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: `${base}/approvals`,
      tags: ['approvals'],
      middleware: requireRole('approve'),
      description: "Approve a version for a channel. The version's author cannot approve it (403 self_approval). Approving twice is a no-op (200).",
      request: { params: RefParams, ...jsonBody(ApproveRequestSchema) },
      responses: { 201: json(ApprovalSchema, 'approved'), 200: json(ApprovalSchema, 'already approved'), ...errorResponses },
    }),
    async (c) => {
      const p = c.req.valid('param');
      const b = c.req.valid('json');
      const r = await s.approvals.approve(p.name, p.ref, b.channel, b.comment ?? '', c.get('principal'));
      return c.json(r.approval, r.created ? 201 : 200);
    },
  );
  app.openapi(
    createRoute({ method: 'get', path: `${base}/approvals`, tags: ['approvals'], middleware: read, request: { params: RefParams, query: ValidationQuerySchema.pick({ channel: true }) }, responses: { 200: json(z.object({ items: z.array(ApprovalSchema) }), 'approvals'), ...errorResponses } }),
    async (c) => {
      const p = c.req.valid('param');
      return c.json({ items: await s.approvals.list(p.name, p.ref, c.req.valid('query').channel) }, 200);
    },
  );
  return app;
}
