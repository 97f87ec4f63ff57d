import type { MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface HttpMetrics {
  registry: Registry;
  bytesIn: Counter;
  bytesOut: Counter;
  /** Refused storage input (blobs, chunks, recipes) by reason = error code. */
  storageRejected: Counter;
  middleware: MiddlewareHandler;
}

/** Prometheus metrics per server instance (own registry, so tests can run several servers). */
export function createHttpMetrics(): HttpMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'steward_' });
  const requests = new Counter({ name: 'steward_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['method', 'route', 'status'], registers: [registry] });
  const latency = new Histogram({
    name: 'steward_http_request_duration_seconds',
    help: 'Time to the response head, by route',
    labelNames: ['method', 'route'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [registry],
  });
  const bytesIn = new Counter({ name: 'steward_http_bytes_in_total', help: 'Request body bytes received on upload routes', registers: [registry] });
  const bytesOut = new Counter({ name: 'steward_http_bytes_out_total', help: 'Body bytes sent on download routes', registers: [registry] });
  const storageRejected = new Counter({ name: 'steward_storage_rejected_total', help: 'Refused blob/chunk/recipe uploads by reason', labelNames: ['reason'], registers: [registry] });
  const middleware: MiddlewareHandler = async (c, next) => {
    const start = performance.now();
    try {
      await next();
    } finally {
      // Route patterns, not raw paths, keep label cardinality bounded.
      const route = matchedRoutes(c).filter((r) => r.method !== 'ALL').at(-1)?.path ?? 'unmatched';
      requests.inc({ method: c.req.method, route, status: String(c.res.status) });
      latency.observe({ method: c.req.method, route }, (performance.now() - start) / 1000);
    }
  };
  return { registry, bytesIn, bytesOut, storageRejected, middleware };
}
