import { Transform } from 'node:stream';
import { requestBody } from '../../http/node-streams.ts';
import { OpenAPIHono, z } from '@hono/zod-openapi';
import { InvalidInputError, isStewardError } from '@steward/core';
import { MAX_RECIPE_BATCH_IDS, MAX_RECIPE_QUERY_BYTES, MAX_RECIPE_QUERY_DIGESTS, MAX_RECIPES_PER_BATCH } from '@steward/core';
import { BlobRecipeSchema, ErrorSchema, PutRecipeResultSchema, PutRecipesInputSchema, PutRecipesResultSchema, RecipeQueryInputSchema, RecipeQueryResultSchema, Sha256Schema } from '@steward/core/api';
import type { AppEnv } from '../../http/env.ts';
import { serveBytes } from '../../http/serve-bytes.ts';
import { sendPieces } from '../../http/send-pieces.ts';
import { json } from '../../http/schemas.ts';
import type { HttpMetrics } from '../../http/metrics.ts';
import { requireRole } from '../auth/auth.middleware.ts';
import type { BlobService } from './blobs.service.ts';
import { validationError } from '../../http/validation.ts';
import { readBounded } from '../../http/read-body.ts';
import { countRejections } from '../storage/rejections.ts';
import { MAX_RECIPE_WAIT_S } from './recipe-check.ts';
import { noteTransfer } from '../../memory-trim.ts';
import type { DiskReserve } from '../storage/disk-reserve.ts';

/** A recipe lists at most ~1M chunks (64 GiB at the 64 KiB average); JSON is bounded accordingly. */
const MAX_RECIPE_JSON = 80 * 1024 * 1024;
const RecipeInput = z.strictObject({ size: z.number().int().nonnegative(), chunks: z.array(Sha256Schema).max(1_200_000) });
/** `POST /blobs/recipes`: ~67 bytes of JSON per chunk id, at most MAX_RECIPE_BATCH_IDS of them, and the recipes around them. */
const MAX_RECIPES_JSON = 8 * 1024 * 1024;
/** `POST /blobs/missing`: digests per request. */
const MAX_MISSING_BLOBS = 10_000;
const BlobDigestsInput = z.strictObject({ sha256s: z.array(Sha256Schema).max(MAX_MISSING_BLOBS) });
/** With ?wait, `{size}` alone joins the check already running for the blob (a re-ask after 202). */
const RecipeJoinInput = z.strictObject({ size: z.number().int().nonnegative() });

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new InvalidInputError(`request body is not valid JSON: ${(err as Error).message}`, {}, 'malformed_json');
  }
}

/** A JSON body of at most `max` bytes, read from the socket and validated by `schema` (400 malformed_json / validation_failed). */
async function jsonOf<T extends z.ZodTypeAny>(c: import('hono').Context<AppEnv>, schema: T, max: number): Promise<z.infer<T>> {
  const parsed = schema.safeParse(parseJson(await readBounded(requestBody(c), max)));
  if (!parsed.success) throw validationError(parsed.error, 'json');
  return parsed.data;
}

/** `?wait=S` of a recipe declaration (here and on open recipe checks). */
export const RecipeQuery = z.object({
  wait: z.coerce
    .number()
    .int()
    .min(0)
    .max(MAX_RECIPE_WAIT_S)
    .optional()
    .openapi({ param: { name: 'wait', in: 'query' }, description: `seconds (at most ${MAX_RECIPE_WAIT_S}) to wait for the check: it hashes the stored chunks and waits for the rest; 202 pending if it is not done by then (ask again to keep waiting)` }),
});

const Params = z.object({ sha256: Sha256Schema.openapi({ param: { name: 'sha256', in: 'path' } }) });

/** Content-addressed upload and download. Streaming bodies, so these are plain routes documented by hand. */
export function blobsRoutes(blobs: BlobService, metrics: HttpMetrics, reserve?: DiskReserve) {
  const app = new OpenAPIHono<AppEnv>();
  app.use('/blobs/*', countRejections(metrics.storageRejected));

  app.put('/blobs/:sha256', requireRole('publish'), async (c) => {
    const sha256 = c.req.param('sha256');
    const len = c.req.header('content-length');
    const size = len === undefined ? undefined : Number(len);
    if (size !== undefined && (!Number.isSafeInteger(size) || size < 0)) throw new InvalidInputError('invalid Content-Length', {}, 'invalid_length');
    // A blob stored already costs nothing; a chunked one (no length) is judged on what is free now.
    if (reserve && reserve.minFreeBytes > 0 && !(await blobs.stat(sha256))) reserve.check(size ?? 0);
    let counted = 0;
    // Count in the pipeline (a 'data' listener here would start the flow before the store reads).
    const counter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        counted += chunk.length;
        noteTransfer(chunk.length);
        done(null, chunk);
      },
    });
    const src = requestBody(c);
    src.on('error', (err) => counter.destroy(err)); // a client that hangs up fails the put
    src.on('aborted', () => counter.destroy(new Error('client aborted the upload')));
    const body = src.pipe(counter);
    try {
      // No c.req.raw here: touching it makes @hono/node-server buffer the body (see node-streams.ts).
      const res = await blobs.put(sha256, body, size);
      return c.json(res, res.created ? 201 : 200);
    } catch (err) {
      if (isStewardError(err) && err.code === 'size_mismatch') {
        throw new InvalidInputError(`upload truncated or oversized: Content-Length says ${size} bytes, received ${counted}`, { expected: size, received: counted }, 'truncated_upload');
      }
      throw err;
    } finally {
      metrics.bytesIn.inc(counted);
    }
  });

  const download = async (c: import('hono').Context<AppEnv>) => {
    const sha256 = c.req.param('sha256')!;
    const s = await blobs.stat(sha256);
    if (!s) return c.json({ error: { code: 'blob_not_found', message: `blob ${sha256} is not stored` } }, 404);
    return serveBytes(c, { sha256, size: Number(s.size) }, (range) => blobs.openPieces(sha256, range), (n) => metrics.bytesOut.inc(n));
  };
  app.on(['GET', 'HEAD'], '/blobs/:sha256', requireRole('read'), download);

  app.put('/blobs/:sha256/recipe', requireRole('publish'), async (c) => {
    const sha256 = c.req.param('sha256');
    const query = RecipeQuery.safeParse(c.req.query());
    if (!query.success) throw validationError(query.error, 'query');
    const body = parseJson(await readBounded(requestBody(c), MAX_RECIPE_JSON));
    const wait = query.data.wait;
    const join = wait ? RecipeJoinInput.safeParse(body) : undefined;
    if (join?.success) {
      const res = await blobs.joinRecipe(sha256, join.data.size, wait! * 1000);
      return c.json(res, res.pending ? 202 : res.created ? 201 : 200);
    }
    const parsed = RecipeInput.safeParse(body);
    if (!parsed.success) throw validationError(parsed.error, 'json');
    const res = await blobs.putRecipe(sha256, parsed.data.size, parsed.data.chunks, wait ? { waitMs: wait * 1000 } : {});
    return c.json(res, res.pending ? 202 : res.created ? 201 : 200);
  });
  app.post('/blobs/missing', requireRole('publish'), async (c) => {
    const { sha256s } = await jsonOf(c, BlobDigestsInput, 1024 * 1024);
    return c.json({ missing: await blobs.missing(sha256s) }, 200);
  });
  app.openAPIRegistry.registerPath({
    method: 'post',
    path: '/blobs/missing',
    tags: ['blobs'],
    description: `Which of the digests (at most ${MAX_MISSING_BLOBS}) the server does not store, each once; stored ones are touched, so a draft listing them is covered by GC's grace period. A push asks this about the files it did not read (unchanged since an earlier push), instead of a HEAD per file.`,
    request: { body: { content: { 'application/json': { schema: BlobDigestsInput } }, required: true } },
    responses: { 200: json(z.object({ missing: z.array(z.string()) }), 'digests not stored') },
  });
  app.post('/blobs/recipes', requireRole('publish'), async (c) => {
    const { recipes } = await jsonOf(c, PutRecipesInputSchema, MAX_RECIPES_JSON);
    const ids = recipes.reduce((n, r) => n + r.chunks.length, 0);
    if (ids > MAX_RECIPE_BATCH_IDS) throw new InvalidInputError(`recipes list ${ids} chunk ids in all; send at most ${MAX_RECIPE_BATCH_IDS} per request (declare large files with PUT /api/v1/blobs/{sha256}/recipe)`, { ids, max: MAX_RECIPE_BATCH_IDS }, 'too_many_ids');
    const results = await blobs.putRecipes(recipes);
    return c.json({ results }, results.some((r) => r.created) ? 201 : 200);
  });
  app.openAPIRegistry.registerPath({
    method: 'post',
    path: '/blobs/recipes',
    tags: ['blobs'],
    description:
      `Create several blobs from stored chunks at once (at most ${MAX_RECIPES_PER_BATCH} recipes and ${MAX_RECIPE_BATCH_IDS} chunk ids per request): each is checked as PUT /blobs/{sha256}/recipe checks one, then all are committed in one transaction, or none. ` +
      'Results come in request order; a blob stored already answers created: false. 409 chunk_missing (details.missing: every missing chunk of every recipe); 422 digest_mismatch (details.sha256: the first recipe whose chunks do not hash to its digest or add up to its size); 400 too_many_ids.',
    request: { body: { content: { 'application/json': { schema: PutRecipesInputSchema } }, required: true } },
    responses: { 200: json(PutRecipesResultSchema, 'every blob was stored already'), 201: json(PutRecipesResultSchema, 'created (some may have been stored already)'), 409: json(ErrorSchema, 'chunks missing'), 422: json(ErrorSchema, 'digest mismatch') },
  });
  app.post('/blobs/recipes/query', requireRole('read'), async (c) => {
    const { sha256s } = await jsonOf(c, RecipeQueryInputSchema, 1024 * 1024);
    return c.json({ recipes: await blobs.recipes(sha256s) }, 200);
  });
  app.openAPIRegistry.registerPath({
    method: 'post',
    path: '/blobs/recipes/query',
    tags: ['blobs'],
    description: `The recipes of several blobs in one request (at most ${MAX_RECIPE_QUERY_DIGESTS} digests, naming at most ${MAX_RECIPE_QUERY_BYTES} bytes of files: 400 too_large beyond; ask for large files' recipes one by one with GET /blobs/{sha256}/recipe). In request order; null for a blob not stored, or stored whole before chunked storage (download it whole).`,
    request: { body: { content: { 'application/json': { schema: RecipeQueryInputSchema } }, required: true } },
    responses: { 200: json(RecipeQueryResultSchema, 'recipes'), 400: json(ErrorSchema, 'too_large') },
  });
  app.get('/blobs/:sha256/recipe', requireRole('read'), async (c) => sendPieces(c, 200, { 'content-type': 'application/json' }, await blobs.recipe(c.req.param('sha256'))));
  app.openAPIRegistry.registerPath({
    method: 'put',
    path: '/blobs/{sha256}/recipe',
    tags: ['blobs'],
    description:
      'Create a blob from stored chunks, in order. 409 chunk_missing (details.missing) if any is not stored; 422 digest_mismatch if the chunks do not hash to {sha256} or their sizes do not sum to size. ' +
      'With ?wait=S the recipe may be declared while its chunks are still being uploaded: the server hashes the stored ones in order and waits for the rest, answering once the blob is committed, or 202 (pending) after S seconds; asking again joins the same check, and may send only {"size": n} (404 recipe_check_not_found if no check of this blob runs on this server: send the whole recipe). It gives up with 409 chunk_missing once no chunk arrived for 30 s.',
    request: { params: Params, query: RecipeQuery, body: { content: { 'application/json': { schema: z.union([RecipeInput, RecipeJoinInput]) } }, required: true } },
    responses: { 200: json(PutRecipeResultSchema, 'already stored'), 201: json(PutRecipeResultSchema, 'created'), 202: json(PutRecipeResultSchema, 'pending: still waiting for chunks (ask again)'), 404: json(ErrorSchema, 'recipe_check_not_found (a {size}-only re-ask with no check running)'), 409: json(ErrorSchema, 'chunks missing'), 422: json(ErrorSchema, 'digest mismatch') },
  });
  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/blobs/{sha256}/recipe',
    tags: ['blobs'],
    description: 'The ordered chunk list of a blob.',
    request: { params: Params },
    responses: { 200: json(BlobRecipeSchema, 'recipe'), 404: json(ErrorSchema, 'not stored') },
  });

  for (const [method, description] of [
    ['put', 'Upload bytes whose SHA-256 is {sha256}; 422 digest_mismatch if they do not hash to it, 400 truncated_upload if shorter than Content-Length.'],
    ['get', 'Download a blob; supports Range and If-None-Match (ETag is the SHA-256).'],
    ['head', '200 with Content-Length if stored, 404 otherwise.'],
  ] as const) {
    app.openAPIRegistry.registerPath({
      method,
      path: '/blobs/{sha256}',
      tags: ['blobs'],
      description,
      request: { params: Params },
      responses: { 200: json(z.object({ sha256: z.string(), size: z.number(), created: z.boolean() }), 'ok'), 404: json(ErrorSchema, 'not stored') },
    });
  }
  return app;
}
