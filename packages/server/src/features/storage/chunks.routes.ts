import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Counter } from 'prom-client';
import { ChunkIdsSchema, ChunkUploadResultSchema, Sha256Schema } from '@steward/core/api';
import type { AppEnv } from '../../http/env.ts';
import { errorResponses, json, jsonBody } from '../../http/schemas.ts';
import { defaultHook } from '../../http/validation.ts';
import { requestBody } from '../../http/node-streams.ts';
import { sendPieces } from '../../http/send-pieces.ts';
import { requireRole } from '../auth/auth.middleware.ts';
import { ENCODED_FRAMES_TYPE, InvalidInputError, MAX_BATCH_BYTES, MAX_BATCH_FRAMES } from '@steward/core';
import { MAX_BASES_PER_ID, type ChunkService } from './chunks.service.ts';
import { BodyBuffers, readBounded } from '../../http/read-body.ts';
import { countRejections } from './rejections.ts';
import type { DiskReserve } from './disk-reserve.ts';
const FetchBody = z.strictObject({
  ids: z.array(Sha256Schema).max(MAX_BATCH_FRAMES),
  encoding: z.enum(['zstd']).optional().openapi({ description: 'ask for per-frame encodings (old clients omit it and get raw frames)' }),
  bases: z
    .array(z.array(Sha256Schema).max(MAX_BASES_PER_ID))
    .max(MAX_BATCH_FRAMES)
    .optional()
    .openapi({ description: 'one list per id: chunks the client holds, whose bytes in order are the zstd dictionary for that id (the old bytes at the same place)' }),
});
const FRAMES_TYPE = 'application/octet-stream';
const octet = (description: string) => ({ description, content: { 'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) } } });

/** Chunk negotiation (see docs/storage.md): which are missing, upload a verified batch, fetch a batch. */
export function chunksRoutes(chunks: ChunkService, rejected?: Counter, reserve?: DiskReserve) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: defaultHook as never });
  const tags = ['chunks'];
  const buffers = new BodyBuffers();
  // '/chunks/*' also matches '/chunks' itself.
  app.use('/chunks/*', countRejections(rejected));

  app.openapi(
    createRoute({ method: 'post', path: '/chunks/missing', tags, middleware: requireRole('publish'), request: jsonBody(ChunkIdsSchema(10_000)), responses: { 200: json(z.object({ missing: z.array(z.string()) }), 'ids not stored, in request order'), ...errorResponses } }),
    async (c) => c.json({ missing: await chunks.missing(c.req.valid('json').ids) }, 200),
  );

  app.post('/chunks', requireRole('publish'), async (c) => {
    // Read the socket directly (c.req.raw would make the adapter buffer without a bound).
    const length = c.req.header('content-length');
    reserve?.check(Number(length) || MAX_BATCH_BYTES); // before a byte is read: a batch is at most that
    const body = await readBounded(requestBody(c), MAX_BATCH_BYTES, length === undefined ? undefined : Number(length), buffers);
    try {
      return c.json(await chunks.upload(body), 200);
    } finally {
      buffers.give(body); // upload has written its pack: nothing points into the body any more
    }
  });
  app.openAPIRegistry.registerPath({
    method: 'post',
    path: '/chunks',
    tags,
    description: `Upload up to ${MAX_BATCH_FRAMES} chunks (${MAX_BATCH_BYTES} bytes) as frames [32-byte SHA-256][u32 BE length][bytes]. Every frame is verified before anything is stored: 422 chunk_digest_mismatch, 400 truncated_batch, 400 chunk_too_large; 507 storage_full when the batch would cut into the free space the server keeps (STEWARD_MIN_FREE_MIB).`,
    request: { body: { content: { 'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) } }, required: true } },
    responses: { 200: json(ChunkUploadResultSchema, 'stored'), ...errorResponses },
  });

  app.openapi(
    createRoute({
      method: 'post',
      path: '/chunks/fetch',
      tags,
      middleware: requireRole('read'),
      request: jsonBody(FetchBody),
      responses: {
        200: octet(`frames in request order: uncompressed (${FRAMES_TYPE}), or with encoding 'zstd' (${ENCODED_FRAMES_TYPE}) each frame's length word carries its encoding in the top 2 bits: 0 raw, 1 zstd, 2 zstd with the id's bases concatenated as a raw dictionary`),
        ...errorResponses,
      },
    }),
    async (c) => {
      const { ids, encoding, bases } = c.req.valid('json');
      if (bases && bases.length !== ids.length) throw new InvalidInputError(`bases has ${bases.length} entries for ${ids.length} ids; give one list per id (empty for none)`, { ids: ids.length, bases: bases.length }, 'bad_bases');
      if (bases && !encoding) throw new InvalidInputError("bases need encoding 'zstd'", {}, 'bad_bases');
      const frames = await chunks.fetch(ids, { encoding, bases });
      return sendPieces(c, 200, { 'content-type': encoding ? ENCODED_FRAMES_TYPE : FRAMES_TYPE }, frames) as never;
    },
  );
  return app;
}
