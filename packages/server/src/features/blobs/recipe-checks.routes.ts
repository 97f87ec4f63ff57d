import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { PutRecipeResultSchema, Sha256Schema } from '@steward/core/api';
import type { AppEnv } from '../../http/env.ts';
import { errorResponses, json, jsonBody } from '../../http/schemas.ts';
import { defaultHook } from '../../http/validation.ts';
import { requireRole } from '../auth/auth.middleware.ts';
import type { BlobService } from './blobs.service.ts';
import { MAX_WAITING_CHECKS } from './recipe-check.ts';
import { RecipeQuery } from './blobs.routes.ts';

/** Ids per open or append request (the JSON stays well under the API's 1 MiB limit). */
export const MAX_CHECK_IDS = 10_000;

const Ids = z.strictObject({ chunks: z.array(Sha256Schema).max(MAX_CHECK_IDS).openapi({ description: `chunk ids in file order (at most ${MAX_CHECK_IDS} per request)` }) });
const Declared = z.strictObject({ sha256: Sha256Schema, size: z.number().int().nonnegative() });
const IdParam = z.object({ id: z.string().uuid().openapi({ param: { name: 'id', in: 'path' } }) });
const Opened = z.object({ id: z.string(), chunks: z.number() }).openapi('RecipeCheckOpened');
const Progress = z.object({ chunks: z.number(), hashedBytes: z.number() }).openapi('RecipeCheckProgress');

/**
 * Open recipe checks (docs/storage.md): a push sends a file's chunk ids while it is still chunking
 * it, the server hashes those chunks meanwhile, and the digest the client computed is declared at
 * the end. The blob is committed only if the chunks hash to it, as with PUT /blobs/{sha}/recipe.
 */
export function recipeChecksRoutes(blobs: BlobService) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: defaultHook as never });
  const tags = ['blobs'];
  const publish = requireRole('publish');

  app.openapi(
    createRoute({
      method: 'post',
      path: '/recipe-checks',
      tags,
      middleware: publish,
      description: `Open a check of a file whose digest is not known yet, with its first chunk ids. 503 recipe_checks_busy when ${MAX_WAITING_CHECKS} checks already run (declare the recipe with PUT /blobs/{sha256}/recipe instead).`,
      request: jsonBody(Ids),
      responses: { 201: json(Opened, 'opened: append more ids, then declare its end'), ...errorResponses },
    }),
    async (c) => c.json(blobs.openRecipeCheck(c.req.valid('json').chunks), 201),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/recipe-checks/{id}/ids',
      tags,
      middleware: publish,
      description: 'More chunk ids of the file, in order. 404 recipe_check_not_found (unknown here: another replica, a restart, or it ended over a minute ago); 409 recipe_check_declared after its end; a check that failed already answers its failure (409 recipe_check_expired, 409 chunk_missing, 503 shutting_down).',
      request: { params: IdParam, ...jsonBody(Ids) },
      responses: { 200: json(Progress, 'ids received so far, bytes hashed so far'), ...errorResponses },
    }),
    async (c) => c.json(await blobs.appendRecipeCheck(c.req.valid('param').id, c.req.valid('json').chunks), 200),
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/recipe-checks/{id}',
      tags,
      middleware: publish,
      description:
        'Declare the end: no more ids, and the chunks must hash to sha256 and add up to size (422 digest_mismatch otherwise; 409 chunk_missing once no chunk arrived for 30 s). Answers once the blob is committed (201), at once if it was stored already (200), or 202 pending after ?wait seconds; asking again (same body) waits on.',
      request: { params: IdParam, query: RecipeQuery, ...jsonBody(Declared) },
      responses: { 200: json(PutRecipeResultSchema, 'already stored'), 201: json(PutRecipeResultSchema, 'created'), 202: json(PutRecipeResultSchema, 'pending (ask again)'), ...errorResponses },
    }),
    async (c) => {
      const res = await blobs.declareRecipeCheck(c.req.valid('param').id, c.req.valid('json'), (c.req.valid('query').wait ?? 0) * 1000);
      return c.json(res, res.pending ? 202 : res.created ? 201 : 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/recipe-checks/{id}',
      tags,
      middleware: publish,
      description: 'Give up a check (the push failed): it stops, having written nothing.',
      request: { params: IdParam },
      responses: { 204: { description: 'cancelled' }, ...errorResponses },
    }),
    async (c) => {
      blobs.cancelRecipeCheck(c.req.valid('param').id);
      return c.body(null, 204);
    },
  );
  return app;
}
