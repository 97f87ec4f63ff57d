import { StewardError } from '@steward/core';

/**
 * Per-key token bucket, in memory (per server process; a flood still hits one process per
 * connection). `burst` tokens, refilled at `perSecond`. Clock passed in (ms) so tests are exact.
 */
export function createRateLimiter(opts: { burst: number; perSecond: number; now: () => number; maxKeys?: number }) {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const maxKeys = opts.maxKeys ?? 200_000;
  return {
    /** Throws a 429 `rate_limited` error when `key` has no token left. */
    take(key: string): void {
      const t = opts.now();
      const b = buckets.get(key) ?? { tokens: opts.burst, at: t };
      b.tokens = Math.min(opts.burst, b.tokens + ((t - b.at) / 1000) * opts.perSecond);
      b.at = t;
      if (b.tokens < 1) {
        const retryMs = Math.ceil(((1 - b.tokens) / opts.perSecond) * 1000);
        buckets.set(key, b);
        throw new StewardError('rate_limited', `too many heartbeats from ${key}: retry in ${retryMs} ms`, 429, { retryAfterMs: retryMs });
      }
      b.tokens -= 1;
      if (!buckets.has(key) && buckets.size >= maxKeys) buckets.clear();
      buckets.set(key, b);
    },
  };
}
