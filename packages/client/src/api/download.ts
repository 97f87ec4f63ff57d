/** A byte range like HTTP `Range: bytes=start-end`; `end` is inclusive, omitted = to the end. */
export interface ByteRange {
  start: number;
  end?: number;
}

export interface DownloadOptions {
  range?: ByteRange;
  /** An ETag (`"<sha256>"` or the bare digest); a match answers 304 with no body. */
  ifNoneMatch?: string;
  signal?: AbortSignal;
}

/** A streamed answer. Read `body` once; it is null for 304 and HEAD. */
export interface Download {
  /** 200 whole, 206 partial, 304 not modified. */
  status: number;
  body: ReadableStream<Uint8Array> | null;
  /** Content-Length of this answer, if the server sent one. */
  length: number | null;
  /** The digest from the ETag, without quotes. */
  sha256: string | null;
  contentRange: string | null;
}

export function downloadHeaders(opts: DownloadOptions): Record<string, string> {
  const h: Record<string, string> = {};
  if (opts.range) h.range = `bytes=${opts.range.start}-${opts.range.end ?? ''}`;
  if (opts.ifNoneMatch) h['if-none-match'] = opts.ifNoneMatch.startsWith('"') ? opts.ifNoneMatch : `"${opts.ifNoneMatch}"`;
  return h;
}

export function toDownload(res: Response): Download {
  const len = res.headers.get('content-length');
  const etag = res.headers.get('etag');
  return {
    status: res.status,
    body: res.status === 304 ? null : res.body,
    length: len === null ? null : Number(len),
    sha256: etag ? etag.replace(/^W\//, '').replace(/"/g, '') : null,
    contentRange: res.headers.get('content-range'),
  };
}
