import { iterableToStream, type HttpTransport, type UploadBody } from '../http.ts';
import type { BlobPutResult } from '../types.ts';
import { downloadHeaders, toDownload, type Download, type DownloadOptions } from './download.ts';

export interface BlobPutOptions {
  /** Exact byte count; sent as Content-Length so the server can detect truncated uploads. */
  size: number;
  /** Called with the cumulative number of bytes handed to the network so far. */
  onProgress?: (bytesSent: number) => void;
  signal?: AbortSignal;
}

/** Content-addressed file bytes, keyed by lowercase hex SHA-256. */
export class BlobsApi {
  constructor(private readonly http: HttpTransport) {}

  /**
   * Size in bytes if the server stores the blob, null otherwise.
   * @example
   * if ((await client.blobs.head(sha256)) === null) await client.blobs.put(sha256, stream, { size });
   */
  async head(sha256: string): Promise<number | null> {
    const res = await this.http.raw('HEAD', `/blobs/${sha256}`, { allow: [404] });
    if (res.status === 404) return null;
    const len = res.headers.get('content-length');
    return len === null ? 0 : Number(len);
  }

  /**
   * Which of `sha256s` the server does not store (each once, at most 10,000 per call). Stored ones
   * are touched, so GC's grace period covers a draft about to list them. A server older than this
   * call answers 404: ask with `head` one at a time.
   * @example
   * const { missing } = await client.blobs.missing(digests);
   */
  missing(sha256s: string[]): Promise<{ missing: string[] }> {
    return this.http.json('POST', '/blobs/missing', { sha256s });
  }

  /**
   * Streams bytes to the server, which stores them only if they hash to `sha256`
   * (422 `digest_mismatch`) and their length matches `size` (400 `truncated_upload`).
   * `body` may be a web ReadableStream, a Node Readable (any async iterable of chunks) or bytes.
   * @example
   * import { createReadStream } from 'node:fs';
   * await client.blobs.put(sha256, createReadStream('model.onnx'), { size, onProgress: (n) => bar.update(n) });
   */
  async put(sha256: string, body: UploadBody, opts: BlobPutOptions): Promise<BlobPutResult> {
    let payload: UploadBody = body;
    if (opts.onProgress) payload = countBytes(body, opts.onProgress);
    const res = await this.http.raw('PUT', `/blobs/${sha256}`, {
      body: payload,
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(opts.size) },
      signal: opts.signal,
    });
    return (await res.json()) as BlobPutResult;
  }

  /**
   * @example
   * const { body } = await client.blobs.get(sha256, { range: { start: 0, end: 1023 } });
   */
  async get(sha256: string, opts: DownloadOptions = {}): Promise<Download> {
    const res = await this.http.raw('GET', `/blobs/${sha256}`, { headers: downloadHeaders(opts), allow: [304], signal: opts.signal });
    return toDownload(res);
  }
}

function countBytes(body: UploadBody, onProgress: (n: number) => void): ReadableStream<Uint8Array> {
  let stream: ReadableStream<Uint8Array>;
  if (body instanceof Uint8Array) stream = iterableToStream((async function* () { yield body; })());
  else if (typeof Blob !== 'undefined' && body instanceof Blob) stream = body.stream();
  else if (typeof (body as ReadableStream).getReader === 'function') stream = body as ReadableStream<Uint8Array>;
  else stream = iterableToStream(body as AsyncIterable<Uint8Array>);
  let sent = 0;
  return stream.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        sent += chunk.byteLength;
        onProgress(sent);
        controller.enqueue(chunk);
      },
    }),
  );
}
