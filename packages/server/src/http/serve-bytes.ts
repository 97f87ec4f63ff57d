import type { Context } from 'hono';
import { sendPieces, type BodyPiece } from './send-pieces.ts';

export type RangeResult = { start: number; end: number } | 'unsatisfiable' | undefined;

/** One `bytes=` range (RFC 9110). Multiple ranges are served as the whole body, which the RFC allows. */
export function parseRange(header: string | undefined, size: number): RangeResult {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return undefined;
  const [, a, b] = m as unknown as [string, string, string];
  if (a === '' && b === '') return undefined;
  let start: number;
  let end: number;
  if (a === '') {
    const n = Number(b);
    if (n === 0) return 'unsatisfiable';
    start = Math.max(size - n, 0);
    end = size - 1;
  } else {
    start = Number(a);
    end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  }
  if (start >= size || start > end) return 'unsatisfiable';
  return { start, end };
}

/**
 * Streams content-addressed bytes with `ETag` = the SHA-256, `If-None-Match` (304) and `Range`
 * (206/416). `open` is called only when bytes are actually sent; its pieces go out through
 * sendPieces (each released once the socket wrote it).
 */
export async function serveBytes(
  c: Context,
  file: { sha256: string; size: number; name?: string },
  open: (range?: { start: number; end: number }) => Promise<AsyncIterable<BodyPiece>>,
  onBytes?: (n: number) => void,
): Promise<Response> {
  const etag = `"${file.sha256}"`;
  const headers: Record<string, string> = { ETag: etag, 'Accept-Ranges': 'bytes', 'Content-Type': 'application/octet-stream', 'Cache-Control': 'private, max-age=31536000, immutable' };
  if (file.name) headers['Content-Disposition'] = `attachment; filename="${file.name.split('/').pop()!.replace(/"/g, '')}"`;
  const inm = c.req.header('if-none-match');
  if (inm && inm.split(',').some((t) => t.trim() === etag || t.trim() === '*')) return new Response(null, { status: 304, headers });
  const range = parseRange(c.req.header('range'), file.size);
  if (range === 'unsatisfiable') return new Response(null, { status: 416, headers: { ...headers, 'Content-Range': `bytes */${file.size}` } });
  const head = c.req.method === 'HEAD';
  if (range) {
    const len = range.end - range.start + 1;
    const h = { ...headers, 'Content-Length': String(len), 'Content-Range': `bytes ${range.start}-${range.end}/${file.size}` };
    if (head) return new Response(null, { status: 206, headers: h });
    onBytes?.(len);
    return sendPieces(c, 206, h, await open(range));
  }
  const h = { ...headers, 'Content-Length': String(file.size) };
  if (head || file.size === 0) return new Response(head ? null : new Uint8Array(0), { status: 200, headers: h });
  onBytes?.(file.size);
  return sendPieces(c, 200, h, await open());
}
