import { StewardError } from '@steward/core';

/**
 * A non-2xx answer from the Steward API, carrying the server's `{ error: { code, message, details } }`.
 *
 * @example
 * try { await client.models.get('fraud'); }
 * catch (err) { if (err instanceof StewardApiError && err.status === 404) console.log('no such model'); }
 */
export class StewardApiError extends StewardError {
  constructor(code: string, message: string, status: number, details?: Record<string, unknown>) {
    super(code, message, status, details);
  }
}

/**
 * Whether `err` is a 404 or 405 answer: what a server older than a call answers to it (the route
 * does not exist), so a caller can fall back to the calls such a server has.
 */
export const isUnknownRoute = (err: unknown): boolean => err instanceof StewardApiError && (err.status === 404 || err.status === 405);

/**
 * The server could not be reached at all (connection refused, DNS failure, reset). `status` is 0
 * because no HTTP answer exists.
 *
 * @example
 * if (err instanceof StewardUnreachableError) console.error(`is the server at ${err.url} running?`);
 */
export class StewardUnreachableError extends StewardError {
  readonly url: string;
  constructor(url: string, cause: string) {
    super('unreachable', `cannot reach Steward at ${url} (${cause})`, 0, { url, cause });
    this.url = url;
  }
}

/** Turns an error answer into a StewardApiError, tolerating bodies that are not Steward JSON (proxies). */
export async function errorFromResponse(res: Response): Promise<StewardApiError> {
  const text = res.status === 204 ? '' : await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown; details?: unknown } };
    const e = body.error;
    if (e && typeof e.code === 'string' && typeof e.message === 'string') {
      const details = e.details && typeof e.details === 'object' ? (e.details as Record<string, unknown>) : undefined;
      return new StewardApiError(e.code, e.message, res.status, details);
    }
  } catch {
    // not JSON: fall through to a generic message
  }
  const snippet = text.trim().slice(0, 200);
  const reason = res.statusText || 'error';
  return new StewardApiError(`http_${res.status}`, `HTTP ${res.status} ${reason}${snippet ? `: ${snippet}` : ''}`, res.status);
}
