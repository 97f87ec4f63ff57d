import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import type { Context } from 'hono';

/**
 * Node 20's `Readable.toWeb` does not apply backpressure: a fast source is queued whole in memory
 * (a 1 GiB download or upload cost ~1 GiB RSS). These adapters pull one chunk at a time instead.
 */
export function nodeToWeb(stream: Readable): ReadableStream<Uint8Array> {
  const it = stream[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>(
    {
      async pull(ctrl) {
        const next = await it.next();
        if (next.done) ctrl.close();
        else ctrl.enqueue(next.value as Uint8Array);
      },
      cancel() {
        stream.destroy();
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * The request body as a Node stream: the socket itself under @hono/node-server, else the web body
 * (tests). Callers must not touch `c.req.raw` first: building the web Request starts an unbounded
 * `Readable.toWeb` read of the socket.
 */
export function requestBody(c: Context): Readable {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (incoming && !incoming.readableDidRead) return incoming;
  return c.req.raw.body ? Readable.fromWeb(c.req.raw.body as never) : Readable.from([]);
}
