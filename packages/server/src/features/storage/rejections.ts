import type { MiddlewareHandler } from 'hono';
import type { Counter } from 'prom-client';
import { isStewardError } from '@steward/core';

/**
 * Counts refused storage input in `steward_storage_rejected_total{reason}` (reason = error code):
 * bad digests, truncated or oversized batches, missing chunks, invalid JSON, and uploads refused to
 * keep the disk's free-space reserve (507 storage_full, disk-reserve.ts). Auth failures and plain
 * 404s are not input problems and are left to the request counter.
 */
export function countRejections(counter: Counter | undefined): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const err = c.error;
    if (!counter || !err || !isStewardError(err)) return;
    if ([400, 409, 413, 422, 507].includes(err.status)) counter.inc({ reason: err.code });
  };
}
