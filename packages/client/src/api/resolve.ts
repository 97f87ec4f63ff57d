import type { HttpTransport } from '../http.ts';
import type { Resolution, ResolvedFile } from '@steward/core/api';

/** What the caller knows about the unit; `attributes` feed custom step constraints. */
export interface ResolveContext {
  platform?: string;
  os?: string;
  appVersion?: string;
  region?: string;
  attributes?: Record<string, string | number | boolean>;
}

export type { Resolution, ResolvedFile };

/** Query parameters of `GET /resolve`; custom attributes travel as `attr.<name>`. */
export function resolveQuery(model: string, channel: string, unit: string | undefined, ctx: ResolveContext = {}): Record<string, string> {
  const q: Record<string, string> = { model, channel };
  if (unit !== undefined) q.unit = unit;
  for (const k of ['platform', 'os', 'appVersion', 'region'] as const) if (ctx[k] !== undefined) q[k] = ctx[k]!;
  for (const [k, v] of Object.entries(ctx.attributes ?? {})) q[`attr.${k}`] = String(v);
  return q;
}

/**
 * Server-side resolve for thin clients.
 * @example
 * const r = await client.resolve('fraud', 'production', 'user-42', { platform: 'android', region: 'eu' });
 * console.log(r.version, r.variant, r.files.map((f) => f.sha256));
 */
export function resolveVia(http: HttpTransport, model: string, channel: string, unit?: string, ctx: ResolveContext = {}): Promise<Resolution> {
  return http.json('GET', '/resolve', undefined, resolveQuery(model, channel, unit, ctx));
}
