import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from '../../http/env.ts';
import type { HttpMetrics } from '../../http/metrics.ts';
import { ComparisonSchema, DraftFilesSchema, DraftSchema, pageOf, VersionInputSchema, VersionListQuerySchema, VersionSchema, VersionUpdateSchema } from '@steward/core/api';
import { errorResponses, json, jsonBody, ModelParam } from '../../http/schemas.ts';
import { serveBytes } from '../../http/serve-bytes.ts';
import { defaultHook } from '../../http/validation.ts';
import { requireRole } from '../auth/auth.middleware.ts';
import type { BlobService } from '../blobs/blobs.service.ts';
import { compareVersions } from './compare.ts';
import type { VersionService } from './versions.service.ts';
import type { Version } from './versions.types.ts';

const DraftParams = ModelParam.extend({ id: z.string().openapi({ param: { name: 'id', in: 'path' } }) });
const RefParams = ModelParam.extend({ ref: z.string().openapi({ param: { name: 'ref', in: 'path' }, example: '1.2.0' }) });
const MAX_LINEAGE = 1000;

export function versionsRoutes(versions: VersionService, blobs: BlobService, metrics: HttpMetrics) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: defaultHook as never });
  const tags = ['versions'];
  const pub = requireRole('publish');
  const read = requireRole('read');

  app.openapi(
    createRoute({ method: 'post', path: '/models/{name}/drafts', tags, middleware: pub, request: { params: ModelParam, ...jsonBody(VersionInputSchema) }, responses: { 201: json(DraftSchema, 'draft created'), ...errorResponses } }),
    async (c) => c.json(await versions.createDraft(c.req.valid('param').name, c.req.valid('json') as never, c.get('principal')), 201),
  );
  app.openapi(
    createRoute({
      method: 'put',
      path: '/models/{name}/drafts/{id}/files',
      tags,
      middleware: pub,
      request: { params: DraftParams, ...jsonBody(DraftFilesSchema) },
      responses: { 200: json(DraftSchema, 'files attached'), ...errorResponses },
    }),
    async (c) => {
      const p = c.req.valid('param');
      return c.json(await versions.attachFiles(p.name, p.id, c.req.valid('json').files), 200);
    },
  );
  app.openapi(
    createRoute({ method: 'post', path: '/models/{name}/drafts/{id}/commit', tags, middleware: pub, request: { params: DraftParams }, responses: { 201: json(VersionSchema, 'committed and signed'), ...errorResponses } }),
    async (c) => {
      const p = c.req.valid('param');
      return c.json((await versions.commit(p.name, p.id, c.get('principal'))) as never, 201);
    },
  );
  app.openapi(
    createRoute({ method: 'delete', path: '/models/{name}/drafts/{id}', tags, middleware: pub, request: { params: DraftParams }, responses: { 204: { description: 'draft removed' }, ...errorResponses } }),
    async (c) => {
      const p = c.req.valid('param');
      await versions.deleteDraft(p.name, p.id);
      return c.body(null, 204);
    },
  );
  app.openapi(
    createRoute({ method: 'get', path: '/models/{name}/versions', tags, middleware: read, request: { params: ModelParam, query: VersionListQuerySchema }, responses: { 200: json(pageOf(VersionSchema), 'versions in semver order'), ...errorResponses } }),
    async (c) => c.json((await versions.list(c.req.valid('param').name, c.req.valid('query') as never)) as never, 200),
  );
  app.openapi(
    createRoute({ method: 'get', path: '/models/{name}/versions/{ref}', tags, middleware: read, request: { params: RefParams }, responses: { 200: json(VersionSchema, 'the version'), ...errorResponses } }),
    async (c) => {
      const p = c.req.valid('param');
      return c.json((await versions.get(p.name, p.ref)) as never, 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'patch',
      path: '/models/{name}/versions/{ref}',
      tags,
      middleware: pub,
      request: { params: RefParams, ...jsonBody(VersionUpdateSchema) },
      responses: { 200: json(VersionSchema, 'updated'), ...errorResponses },
    }),
    async (c) => {
      const p = c.req.valid('param');
      return c.json((await versions.update(p.name, p.ref, c.req.valid('json'), c.get('principal'))) as never, 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/models/{name}/compare',
      tags,
      middleware: read,
      request: { params: ModelParam, query: z.object({ a: z.string(), b: z.string() }) },
      responses: { 200: json(ComparisonSchema, 'differences from a to b'), ...errorResponses },
    }),
    async (c) => {
      const name = c.req.valid('param').name;
      const q = c.req.valid('query');
      const [a, b] = await Promise.all([versions.get(name, q.a), versions.get(name, q.b)]);
      // b's ancestry, newest first, to say whether b descends from a.
      const ancestry = [b.version];
      let cur: Version | undefined = b;
      while (cur?.parent && ancestry.length < MAX_LINEAGE) {
        ancestry.push(cur.parent);
        cur = cur.parent === a.version ? undefined : await versions.get(name, cur.parent).catch(() => undefined);
      }
      return c.json(compareVersions(a, b, ancestry) as never, 200);
    },
  );

  app.on(['GET', 'HEAD'], '/models/:name/versions/:ref/files/:path{.+}', requireRole('read'), async (c) => {
    const { name, ref, path } = c.req.param();
    const f = await versions.fileEntry(name, ref, path);
    return serveBytes(c, { ...f, name: f.path }, (range) => blobs.openPieces(f.sha256, range), (n) => metrics.bytesOut.inc(n));
  });
  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/models/{name}/versions/{ref}/files/{path}',
    tags,
    description: 'Download one file of a version; Range and If-None-Match supported, ETag is its SHA-256.',
    request: { params: RefParams.extend({ path: z.string().openapi({ param: { name: 'path', in: 'path' } }) }) },
    responses: { 200: { description: 'file bytes' }, ...errorResponses },
  });
  return app;
}
