import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { CreatedTokenSchema, SigningKeySchema, TokenCreateSchema, TokenInfoSchema, WhoAmISchema } from '@steward/core/api';
import type { AppEnv } from '../../http/env.ts';
import { errorResponses, json, jsonBody } from '../../http/schemas.ts';
import { defaultHook } from '../../http/validation.ts';
import type { SigningKey } from '../keys/signing-key.ts';
import { requireRole } from './auth.middleware.ts';
import type { TokenService } from './tokens.service.ts';

export function tokensRoutes(tokens: TokenService, key: SigningKey) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: defaultHook as never });
  const admin = requireRole('admin');

  app.openapi(
    createRoute({
      method: 'post',
      path: '/tokens',
      tags: ['auth'],
      middleware: admin,
      request: jsonBody(TokenCreateSchema),
      responses: { 201: json(CreatedTokenSchema, 'created; the secret is shown only now'), ...errorResponses },
    }),
    async (c) => c.json(await tokens.create(c.req.valid('json'), c.get('principal')), 201),
  );
  app.openapi(
    createRoute({ method: 'get', path: '/tokens', tags: ['auth'], middleware: admin, responses: { 200: json(z.object({ items: z.array(TokenInfoSchema) }), 'tokens, without secrets'), ...errorResponses } }),
    async (c) => c.json({ items: await tokens.list() }, 200),
  );
  app.openapi(
    createRoute({ method: 'delete', path: '/tokens/{id}', tags: ['auth'], middleware: admin, request: { params: z.object({ id: z.string() }) }, responses: { 204: { description: 'revoked' }, ...errorResponses } }),
    async (c) => {
      await tokens.revoke(c.req.valid('param').id, c.get('principal'));
      return c.body(null, 204);
    },
  );
  app.openapi(
    createRoute({ method: 'get', path: '/whoami', tags: ['auth'], responses: { 200: json(WhoAmISchema, 'the caller'), ...errorResponses } }),
    async (c) => c.json(c.get('principal'), 200),
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/keys',
      tags: ['auth'],
      middleware: requireRole('read'),
      responses: { 200: json(SigningKeySchema, 'the manifest signing key'), ...errorResponses },
    }),
    async (c) => c.json({ keyId: key.keyId, publicKey: key.publicKeyPem, algorithm: 'ed25519' as const }, 200),
  );
  return app;
}
