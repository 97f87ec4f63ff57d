import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { isStewardError } from '@steward/core';

export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

/**
 * The one place domain errors become HTTP. Anything unexpected is logged server-side and answered
 * as a bare 500: no stack trace or SQL text ever reaches a client.
 */
export function toErrorResponse(err: unknown, c: Context, log: (msg: string, err: unknown) => void): Response {
  if (isStewardError(err)) {
    const body: ErrorBody = { error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } };
    return c.json(body, err.status as ContentfulStatusCode);
  }
  if (err instanceof HTTPException) {
    const status = err.status;
    const code = status === 413 ? 'payload_too_large' : status === 404 ? 'not_found' : /malformed json/i.test(err.message) ? 'malformed_json' : 'http_error';
    return c.json({ error: { code, message: err.message || `HTTP ${status}` } }, status as ContentfulStatusCode);
  }
  if (err instanceof SyntaxError) {
    return c.json({ error: { code: 'malformed_json', message: `request body is not valid JSON: ${err.message}` } }, 400);
  }
  log('unhandled error', err);
  return c.json({ error: { code: 'internal', message: 'internal server error; see the server log' } }, 500);
}
