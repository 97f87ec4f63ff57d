import { z } from '@hono/zod-openapi';
import { ErrorSchema } from '@steward/core/api';

/**
 * Route helpers. The API's shapes themselves live in `@steward/core/api`, one source for the
 * server's validation, /openapi.json and the client's types.
 */

export const errorResponses = {
  400: { description: 'invalid input', content: { 'application/json': { schema: ErrorSchema } } },
  401: { description: 'missing or invalid token', content: { 'application/json': { schema: ErrorSchema } } },
  403: { description: 'role not allowed', content: { 'application/json': { schema: ErrorSchema } } },
  404: { description: 'not found', content: { 'application/json': { schema: ErrorSchema } } },
  409: { description: 'conflict', content: { 'application/json': { schema: ErrorSchema } } },
} as const;

export const json = <T extends z.ZodTypeAny>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });
export const jsonBody = <T extends z.ZodTypeAny>(schema: T) => ({ body: { content: { 'application/json': { schema } }, required: true } });

/** Model names arrive as one URL-encoded path segment (`acme%2Ffraud`). */
export const ModelParam = z.object({ name: z.string().openapi({ param: { name: 'name', in: 'path' }, example: 'acme%2Ffraud' }) });
