/**
 * Tests hold every JSON answer to the shape its route declares in /openapi.json: the route's
 * response schema (from `@steward/core/api`) parses the body, or the call fails with the route and
 * the first mismatches. Clients type their results from the same schemas, so an answer that drifts
 * from its schema is a broken client, found here instead of by a user.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { z } from 'zod';

interface RouteContract {
  method: string;
  pattern: RegExp;
  path: string;
  responses: Map<number, z.ZodType>;
}

interface RouteDefinition {
  type: string;
  route?: { method: string; path: string; responses?: Record<string, { content?: Record<string, { schema?: unknown }> }> };
}

const isZod = (s: unknown): s is z.ZodType => typeof s === 'object' && s !== null && typeof (s as { safeParse?: unknown }).safeParse === 'function';

/** `/models/{name}/versions/{version}` → a regex over concrete paths (parameters match one segment). */
const patternOf = (path: string): RegExp =>
  new RegExp(`^${path.split(/\{[^}]+\}/).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[^/]+')}$`);

export function responseContracts(api: OpenAPIHono<never> | { openAPIRegistry: { definitions: unknown[] } }, prefix = '/api/v1') {
  const routes: RouteContract[] = [];
  for (const d of api.openAPIRegistry.definitions as RouteDefinition[]) {
    if (d.type !== 'route' || !d.route) continue;
    const responses = new Map<number, z.ZodType>();
    for (const [status, r] of Object.entries(d.route.responses ?? {})) {
      const schema = r.content?.['application/json']?.schema;
      if (isZod(schema) && /^\d+$/.test(status)) responses.set(Number(status), schema);
    }
    if (responses.size) routes.push({ method: d.route.method.toUpperCase(), pattern: patternOf(prefix + d.route.path), path: d.route.path, responses });
  }
  // Literal segments win over parameters (`/models/{name}/drafts` before `/models/{name}/{x}`).
  routes.sort((a, b) => b.path.replace(/\{[^}]+\}/g, '').length - a.path.replace(/\{[^}]+\}/g, '').length);

  /** Throws when a 2xx JSON answer does not parse with its route's declared schema. */
  return (method: string, url: string, status: number, contentType: string | null, data: unknown): void => {
    if (status < 200 || status >= 300 || !contentType?.includes('application/json')) return;
    const path = url.split('?')[0] as string;
    const route = routes.find((r) => r.method === method.toUpperCase() && r.pattern.test(path));
    const schema = route?.responses.get(status);
    if (!route || !schema) return;
    const parsed = schema.safeParse(data);
    if (parsed.success) return;
    const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`${method} ${route.path} answered ${status} with a body that does not match its declared schema: ${issues}`);
  };
}
