import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { Readable } from 'node:stream';
import type { Counter } from 'prom-client';
import type { AppEnv } from '../../http/env.ts';
import { requestBody } from '../../http/node-streams.ts';
import { errorResponses, json, jsonBody, Sha256Schema } from '../../http/schemas.ts';
import { defaultHook } from '../../http/validation.ts';
import { nodeToWeb } from '../../http/node-streams.ts';
import { requireRole } from '../auth/auth.middleware.ts';
import type { ChunkService } from './chunks.service.ts';
import { MAX_BATCH_BYTES, MAX_FRAMES, readBounded } from './frames.ts';
import { countRejections } from './rejections.ts';

const Ids = (max: number) => z.strictObject({ ids: z.array(Sha256Schema).max(max) });
const octet = (description: string) => ({ description, content: { 'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) } } });

/** Chunk negotiation (see docs/storage.md): which are missing, upload a verified batch, fetch a batch. */
export function chunksRoutes(chunks: ChunkService, rejected?: Counter) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: defaultHook as never });
  const tags = ['chunks'];
  // '/chunks/*' also matches '/chunks' itself.
  app.use('/chunks/*', countRejections(rejected));

  app.openapi(
    createRoute({ method: 'post', path: '/chunks/missing', tags, middleware: requireRole('publish'), request: jsonBody(Ids(10_000)), responses: { 200: json(z.object({ missing: z.array(z.string()) }), 'ids not stored, in request order'), ...errorResponses } }),
    async (c) => c.json({ missing: await chunks.missing(c.req.valid('json').ids) }, 200),
  );

  app.post('/chunks', requireRole('publish'), async (c) => {
    // Read the socket directly (c.req.raw would make the adapter buffer without a bound).
    const body = await readBounded(requestBody(c), MAX_BATCH_BYTES);
    return c.json(await chunks.upload(body), 200);
  });
  app.openAPIRegistry.registerPath({
    method: 'post',
    path: '/chunks',
    tags,
    description: `Upload up to ${MAX_FRAMES} chunks (${MAX_BATCH_BYTES} bytes) as frames [32-byte SHA-256][u32 BE length][bytes]. Every frame is verified before anything is stored: 422 chunk_digest_mismatch, 400 truncated_batch, 400 chunk_too_large.`,
    request: { body: { content: { 'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) } }, required: true } },
    responses: { 200: json(z.object({ stored: z.number(), skipped: z.number(), bytes: z.number() }), 'stored'), ...errorResponses },
  });

  app.openapi(
    createRoute({ method: 'post', path: '/chunks/fetch', tags, middleware: requireRole('read'), request: jsonBody(Ids(MAX_FRAMES)), responses: { 200: octet('frames in request order, uncompressed'), ...errorResponses } }),
    async (c) => {
      const frames = await chunks.fetch(c.req.valid('json').ids);
      return new Response(nodeToWeb(Readable.from(frames)), { status: 200, headers: { 'content-type': 'application/octet-stream' } }) as never;
    },
  );
  return app;
}
