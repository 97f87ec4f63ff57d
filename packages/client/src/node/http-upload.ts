import { createReadStream } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { StewardClient } from '../client.ts';
import { errorFromResponse, StewardUnreachableError } from '../errors.ts';

/**
 * PUT a file's bytes to /blobs/{sha256} over node:http with real backpressure. Node 20's fetch
 * reads a streamed request body far ahead of the socket (a 1 GiB upload cost ~1 GiB of RSS), so
 * large uploads go through here; browsers keep using fetch.
 */
export async function putBlobFromFile(
  client: StewardClient,
  absPath: string,
  digest: { sha256: string; size: number },
  onBytes?: (sent: number) => void,
): Promise<void> {
  const url = new URL(`${client.url}/api/v1/blobs/${digest.sha256}`);
  const mod = url.protocol === 'https:' ? https : http;
  const headers: Record<string, string> = { 'content-type': 'application/octet-stream', 'content-length': String(digest.size) };
  if (client.token) headers.authorization = `Bearer ${client.token}`;
  const req = mod.request(url, { method: 'PUT', headers });
  const answer = new Promise<http.IncomingMessage>((resolve, reject) => {
    req.once('response', resolve);
    req.once('error', reject);
  });
  let sent = 0;
  const count = new Transform({
    transform(chunk: Buffer, _enc, done) {
      sent += chunk.length;
      onBytes?.(sent);
      done(null, chunk);
    },
  });
  try {
    // If the server answers early (e.g. 401) it may close the socket; the answer wins over the pipe error.
    await Promise.all([pipeline(createReadStream(absPath, { highWaterMark: 1 << 20 }), count, req).catch(async (err) => {
      if (!(await answer.then(() => true, () => false))) throw err;
    }), answer]);
  } catch (err) {
    throw new StewardUnreachableError(client.url, (err as NodeJS.ErrnoException).code ?? (err as Error).message);
  }
  const res = await answer;
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  const body = Buffer.concat(chunks).toString('utf8');
  const status = res.statusCode ?? 0;
  if (status >= 200 && status < 300) return;
  throw await errorFromResponse(new Response(body, { status, headers: { 'content-type': String(res.headers['content-type'] ?? '') } }));
}
