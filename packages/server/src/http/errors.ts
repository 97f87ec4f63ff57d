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
  if (isStorageFull(err)) {
    log('storage full', err);
    const message = "the server's storage is full: the request did not complete and left nothing visible; free disk space (or raise the database's quota), or remove unreferenced data with steward gc, then retry";
    return c.json({ error: { code: 'storage_full', message } }, 507);
  }
  log('unhandled error', err);
  return c.json({ error: { code: 'internal', message: 'internal server error; see the server log' } }, 500);
}

/**
 * A disk or quota ran out under the object store or the database: ENOSPC / EDQUOT from the file
 * system, SQLITE_FULL from SQLite, 53100 (disk_full) from PostgreSQL. Nothing of the request is
 * visible (temp files are removed, transactions roll back; chunks already packed stay for a retry,
 * or until GC), so the client may retry once there is room.
 */
export function isStorageFull(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL' || code === '53100';
}
