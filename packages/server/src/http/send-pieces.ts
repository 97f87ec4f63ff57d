import type { ServerResponse } from 'node:http';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Context } from 'hono';
import { noteTransfer } from '../memory-trim.ts';

/** A piece of a response body, and what to call once the socket has written it (the bytes may then be reused). */
export interface BodyPiece {
  bytes: Uint8Array;
  written?: () => void;
}

/**
 * Sends `pieces` as the body of a `status` answer. Under @hono/node-server it writes them to
 * Node's response itself, with backpressure (at most ~1 MiB queued, then wait for 'drain'), and calls each
 * piece's `written` from the write callback: only then has the socket taken the bytes, which a web
 * stream never tells its producer. Elsewhere (tests through `app.request`) each piece is copied
 * into a web stream and released at once.
 *
 * The first piece is read before the head is sent, so an error there is still an error answer;
 * a later error cuts the connection, as any broken stream does.
 */
export async function sendPieces(c: Context, status: number, headers: Record<string, string>, pieces: AsyncIterable<BodyPiece>): Promise<Response> {
  const it = pieces[Symbol.asyncIterator]();
  const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
  if (!outgoing) return new Response(copied(it), { status, headers });
  let step = await it.next();
  outgoing.writeHead(status, headers);
  try {
    while (!step.done) {
      if (outgoing.destroyed) throw new Error('the client closed the connection');
      const piece = step.value;
      noteTransfer(piece.bytes.length);
      outgoing.write(piece.bytes, () => piece.written?.());
      // Any write past the socket's 16 KiB mark returned false, so 'drain' will come; waiting only
      // past QUEUED keeps a queue of at most ~1 MiB per answer, without a promise per 64 KiB chunk.
      if (outgoing.writableLength >= QUEUED) await drained(outgoing);
      step = await it.next();
    }
    outgoing.end();
  } catch (err) {
    outgoing.destroy(err as Error);
    await it.return?.();
  }
  // Its header tells @hono/node-server the answer is sent. It must be a platform Response, as that
  // constant is (made before the server replaced the global one): the replacement's responses are
  // written out without looking at the header. Built anew so the metrics see the real status.
  const Platform = RESPONSE_ALREADY_SENT.constructor as typeof Response;
  return new Platform(null, { status, headers: RESPONSE_ALREADY_SENT.headers });
}

/** Bytes an answer may have queued for its socket before its producer waits for them to go out. */
const QUEUED = 1024 * 1024;

/** Resolves on 'drain'; rejects if the client went away first (no 'drain' would ever come). */
function drained(out: ServerResponse): Promise<void> {
  if (out.destroyed) return Promise.reject(new Error('the client closed the connection'));
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      out.off('drain', onDrain);
      out.off('close', onClose);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = () => done();
    const onClose = () => done(new Error('the client closed the connection'));
    out.once('drain', onDrain);
    out.once('close', onClose);
  });
}

function copied(it: AsyncIterator<BodyPiece>): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>(
    {
      async pull(ctrl) {
        const step = await it.next();
        if (step.done) return ctrl.close();
        ctrl.enqueue(new Uint8Array(step.value.bytes)); // a copy: the piece is released right after
        step.value.written?.();
      },
      async cancel() {
        await it.return?.();
      },
    },
    { highWaterMark: 0 },
  );
}
