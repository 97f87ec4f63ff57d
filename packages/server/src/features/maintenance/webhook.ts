import { createHmac } from 'node:crypto';

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/** `sha256=<hex>` over the exact body bytes, as GitHub signs webhooks. */
export const signBody = (secret: string, body: string): string => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

export interface DeliveryOutcome {
  status: 'delivered' | 'failed';
  attempts: number;
  lastError: string | null;
}

/**
 * POST JSON with retries on network errors and 5xx/429 (exponential backoff from `baseDelayMs`);
 * a 4xx other than 429 fails at once (the receiver refused it; retrying will not help).
 */
export async function deliver(
  url: string, payload: unknown, opts: { secret?: string; fetch?: FetchLike; attempts?: number; baseDelayMs?: number; timeoutMs?: number; sleep?: (ms: number) => Promise<void> } = {},
): Promise<DeliveryOutcome> {
  const body = JSON.stringify(payload);
  const f = opts.fetch ?? ((u, i) => fetch(u, i));
  const max = opts.attempts ?? 4;
  const sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  let lastError: string | null = null;
  for (let attempt = 1; attempt <= max; attempt++) {
    try {
      const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'steward-maintenance' };
      if (opts.secret) headers['x-steward-signature'] = signBody(opts.secret, body);
      const res = await f(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000) });
      if (res.ok) return { status: 'delivered', attempts: attempt, lastError: null };
      lastError = `HTTP ${res.status}`;
      if (res.status < 500 && res.status !== 429) return { status: 'failed', attempts: attempt, lastError };
    } catch (e) {
      lastError = (e as Error).message;
    }
    if (attempt < max) await sleep((opts.baseDelayMs ?? 200) * 4 ** (attempt - 1));
  }
  return { status: 'failed', attempts: max, lastError };
}
