import { StewardError } from '@steward/core';

export interface RetryOptions {
  /** Attempts in total, including the first (default 5). */
  attempts?: number;
  /** First back-off in ms; doubles each time, with ±50 % jitter (default 250). */
  baseDelayMs?: number;
}

/**
 * Worth retrying: no answer at all (status 0), a gateway/server error, or 429. 4xx are final, and
 * so is 507 (the server's storage is full: seconds of back-off will not free it).
 */
export function isTransient(err: unknown): boolean {
  if (!(err instanceof StewardError)) return true; // socket resets and the like surface as plain errors
  return err.status === 0 || err.status === 429 || (err.status >= 500 && err.status !== 507);
}

/**
 * Runs `fn` until it succeeds, a non-transient error occurs, or attempts run out.
 * @example
 * await withRetry(() => client.chunks.upload(body), { attempts: 5 });
 */
export async function withRetry<T>(fn: () => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const attempts = opts.attempts ?? 5;
  const base = opts.baseDelayMs ?? 250;
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts || !isTransient(err)) throw err;
      const delay = base * 2 ** (i - 1) * (0.5 + Math.random());
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
