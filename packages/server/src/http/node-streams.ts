import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import type { Context } from 'hono';

/**
 * The request body as a Node stream: the socket itself under @hono/node-server, else the web body
 * (tests). Callers must not touch `c.req.raw` first: building the web Request starts a
 * `Readable.toWeb` read of the socket, which in Node 20 applies no backpressure (a 1 GiB upload
 * cost ~1 GiB RSS).
 */
export function requestBody(c: Context): Readable {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (incoming && !incoming.readableDidRead) return incoming;
  return c.req.raw.body ? Readable.fromWeb(c.req.raw.body as never) : Readable.from([]);
}
