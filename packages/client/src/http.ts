import { StewardUnreachableError, errorFromResponse } from './errors.ts';

export type FetchLike = (input: string, init?: RequestInit & { duplex?: 'half' }) => Promise<Response>;
export type Query = Record<string, string | number | boolean | undefined | null>;

/** Bytes a request may carry: a web stream, any async iterable of chunks (a Node Readable), or a buffer. */
export type UploadBody = ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | Uint8Array | Blob;

export interface RawOptions {
  query?: Query;
  headers?: Record<string, string>;
  body?: UploadBody | string;
  /** Statuses returned as-is instead of thrown (e.g. 404 for HEAD, 304 for If-None-Match). */
  allow?: number[];
  signal?: AbortSignal;
}

/** Model names and channel names travel as one URL-encoded segment (`acme%2Ffraud`). */
export const seg = (s: string): string => encodeURIComponent(s);
/** File paths keep their `/` separators; each segment is encoded. */
export const filePath = (p: string): string => p.split('/').map(encodeURIComponent).join('/');

/** Thin fetch wrapper: base URL, bearer token, error mapping. Works wherever global fetch exists. */
export class HttpTransport {
  readonly baseUrl: string;
  readonly apiUrl: string;
  readonly #token: string | undefined;
  readonly #fetch: FetchLike;

  constructor(url: string, token: string | undefined, fetchImpl?: FetchLike) {
    this.baseUrl = url.replace(/\/+$/, '');
    this.apiUrl = `${this.baseUrl}/api/v1`;
    this.#token = token;
    this.#fetch = fetchImpl ?? ((input, init) => fetch(input, init));
  }

  /** Sends a request and returns the Response; non-2xx (unless allowed) throws StewardApiError. */
  async raw(method: string, path: string, opts: RawOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { ...opts.headers };
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    const init: RequestInit & { duplex?: 'half' } = { method, headers, signal: opts.signal };
    if (opts.body !== undefined) {
      init.body = toBodyInit(opts.body);
      // Streaming request bodies need half-duplex in fetch (Node and browsers).
      if (isStreamBody(init.body)) init.duplex = 'half';
    }
    let res: Response;
    try {
      res = await this.#fetch(this.apiUrl + path + queryString(opts.query), init);
    } catch (err) {
      if (isAbort(err)) throw err;
      throw new StewardUnreachableError(this.baseUrl, describeNetworkError(err));
    }
    if (res.ok || opts.allow?.includes(res.status)) return res;
    throw await errorFromResponse(res);
  }

  /** JSON in, JSON out. 204 answers resolve to undefined. */
  async json<T>(method: string, path: string, body?: unknown, query?: Query): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await this.raw(method, path, {
      query,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (res.status === 204) return undefined as T;
    return (await res.json()) as T;
  }
}

export function queryString(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null) params.set(k, String(v));
  const s = params.toString();
  return s ? `?${s}` : '';
}

function isReadableStream(x: unknown): x is ReadableStream<Uint8Array> {
  return typeof x === 'object' && x !== null && typeof (x as ReadableStream).getReader === 'function';
}

function isStreamBody(x: unknown): boolean {
  return isReadableStream(x);
}

function toBodyInit(body: UploadBody | string): BodyInit {
  if (typeof body === 'string' || body instanceof Uint8Array || isReadableStream(body)) return body as BodyInit;
  if (typeof Blob !== 'undefined' && body instanceof Blob) return body;
  return iterableToStream(body as AsyncIterable<Uint8Array>);
}

/** Adapts an async iterable (e.g. a Node Readable) to a web stream, pulling lazily so nothing is buffered. */
export function iterableToStream(it: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> {
  const iter = it[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await iter.next();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    async cancel(reason) {
      await iter.return?.(reason);
    },
  });
}

function isAbort(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError');
}

function describeNetworkError(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (cause && typeof cause.code === 'string') return cause.code;
  if (cause && typeof cause.message === 'string') return cause.message;
  return err instanceof Error ? err.message : String(err);
}
