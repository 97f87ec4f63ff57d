import { OpenAPIHono } from '@hono/zod-openapi';
import { sql } from 'kysely';
import { bodyLimit } from 'hono/body-limit';
import { etag } from 'hono/etag';
import { PayloadTooLargeError } from '@steward/core';
import type { Db } from './db/connect.ts';
import type { AppEnv } from './http/env.ts';
import { toErrorResponse } from './http/errors.ts';
import { createHttpMetrics } from './http/metrics.ts';
import type { ObjectStore } from './storage/object-store.ts';
import { authenticate } from './features/auth/auth.middleware.ts';
import { tokensRoutes } from './features/auth/tokens.routes.ts';
import { createTokenService } from './features/auth/tokens.service.ts';
import { createTokenStoreSql } from './features/auth/tokens.store.sql.ts';
import { blobsRoutes } from './features/blobs/blobs.routes.ts';
import { recipeChecksRoutes } from './features/blobs/recipe-checks.routes.ts';
import { createBlobService } from './features/blobs/blobs.service.ts';
import { chunksRoutes } from './features/storage/chunks.routes.ts';
import { resolvePackSize } from './features/storage/pack-size.ts';
import { resolveDeltaCacheSize } from './features/storage/delta-frames.ts';
import { watchDeltaFrames, watchDiskSpace } from './features/storage/storage.metrics.ts';
import { DiskReserve, localWritePlaces } from './features/storage/disk-reserve.ts';
import { watchMemoryTrim } from './memory-trim.ts';
import { createStorageService } from './features/storage/storage.service.ts';
import { ChunkArrivals } from './features/storage/chunk-arrivals.ts';
import { storageRoutes } from './features/storage/storage.routes.ts';
import { channelsRoutes } from './features/channels/channels.routes.ts';
import { chainRoutes } from './features/chain/chain.routes.ts';
import { createChainService } from './features/chain/chain.service.ts';
import { fleetRoutes } from './features/fleet/fleet.routes.ts';
import { createFleetService } from './features/fleet/fleet.service.ts';
import type { FleetOptions } from './features/fleet/fleet.options.ts';
import { createChannelService } from './features/channels/channels.service.ts';
import { createChannelStoreSql } from './features/channels/channels.store.sql.ts';
import { createGatesFeature } from './features/gates/gates.feature.ts';
import type { SigningKey } from './features/keys/signing-key.ts';
import { modelsRoutes } from './features/models/models.routes.ts';
import { createModelService } from './features/models/models.service.ts';
import { createModelStoreSql } from './features/models/models.store.sql.ts';
import { createMaintenanceService } from './features/maintenance/maintenance.service.ts';
import { maintenanceRoutes } from './features/maintenance/maintenance.routes.ts';
import { createMonitoring } from './features/monitoring/monitoring.factory.ts';
import type { MonitoringConfig } from './features/monitoring/monitoring.service.ts';
import { createRolloutFeature } from './features/rollouts/rollouts.factory.ts';
import { monitoringRoutes } from './features/monitoring/monitoring.routes.ts';
import { versionsRoutes } from './features/versions/versions.routes.ts';
import { createVersionService } from './features/versions/versions.service.ts';
import { createVersionStoreSql } from './features/versions/versions.store.sql.ts';

export interface AppDeps {
  db: Db;
  objects: ObjectStore;
  signingKey: SigningKey;
  auth: boolean;
  jsonLimit?: number;
  now?: () => Date;
  log?: (msg: string, err?: unknown) => void;
  /** Fleet tuning (quorum, activation delay, liveness TTL, rate limits). */
  fleet?: Partial<FleetOptions>;
  /** Block length used only when the block clock is first created. */
  blockIntervalMs?: number;
  /**
   * Chunked storage tuning: target pack size in bytes (default STEWARD_PACK_SIZE or 64 MiB), how
   * long a recipe check waits for a chunk before 409 chunk_missing (default 30 s; tests shorten it),
   * the delta frame cache's budget in bytes (default STEWARD_DELTA_CACHE_SIZE or 64 MiB; 0: off),
   * and the free bytes uploads must leave on the local disks written to (DiskReserve; default 0,
   * off: startServer passes the configured reserve, 512 MiB unless STEWARD_MIN_FREE_MIB says otherwise).
   */
  storage?: { packSize?: number; recipeIdleMs?: number; deltaCacheSize?: number; minFreeBytes?: number };
  /** Monitoring tuning (e.g. `ingestWorker`, from the server config). */
  monitoring?: Partial<MonitoringConfig>;
}

/** Wires stores, services and routers. Each feature factory receives only what it uses. */
export function createApp(deps: AppDeps) {
  const now = deps.now ?? (() => new Date());
  const log = deps.log ?? ((msg, err) => console.error(msg, err));
  const k = deps.db.kysely;
  const modelStore = createModelStoreSql(k);
  const versionStore = createVersionStoreSql(k);
  const channelStore = createChannelStoreSql(k);
  const tokens = createTokenService({ tokenStore: createTokenStoreSql(k), now });
  const packSize = resolvePackSize(deps.storage?.packSize);
  const reserve = new DiskReserve(localWritePlaces(deps.objects, deps.db), deps.storage?.minFreeBytes ?? 0);
  // Chunks uploaded through the chunk API wake the blob service's recipe checks waiting for them.
  const arrivals = new ChunkArrivals();
  const blobs = createBlobService({ db: k, objects: deps.objects, now, packSize, recipeIdleMs: deps.storage?.recipeIdleMs, arrivals });
  const storage = createStorageService({ db: k, objects: deps.objects, now, packSize, arrivals, deltaCacheSize: resolveDeltaCacheSize(deps.storage?.deltaCacheSize) });
  const models = createModelService({ modelStore, now });
  const channels = createChannelService({ modelStore, versionStore, channelStore, now });
  const versions = createVersionService({ modelStore, versionStore, blobs, signingKey: deps.signingKey, now, channelStable: channels.stableOf });
  const gates = createGatesFeature({ db: deps.db, versions, channels, blobs, signingKey: deps.signingKey, now });
  const chain = createChainService({ db: k, now, ...(deps.blockIntervalMs ? { intervalMs: deps.blockIntervalMs } : {}) });
  const fleet = createFleetService({ db: k, chain, channels, now, ...(deps.fleet ? { options: deps.fleet } : {}) });
  const metrics = createHttpMetrics();
  watchDeltaFrames(metrics.registry, storage.chunks.deltaFrames);
  watchMemoryTrim(metrics.registry);
  watchDiskSpace(metrics.registry, reserve);
  const monitoring = createMonitoring({ db: k, blobs, versions, registry: metrics.registry, now, log, ...(deps.monitoring ? { config: deps.monitoring } : {}) });
  const rollouts = createRolloutFeature({ db: k, modelStore, versionStore, channels, now, log });
  const maintenance = createMaintenanceService({
    db: k,
    monitoring: monitoring.service,
    channels,
    rolloutAction: (model, channel, action, reason, by) => rollouts.rollouts.action(model, channel, action, reason, by),
    modelExists: models.get,
    now,
    log,
  });

  const app = new OpenAPIHono<AppEnv>();
  app.onError((err, c) => toErrorResponse(err, c, log));
  app.notFound((c) => c.json({ error: { code: 'route_not_found', message: `no route ${c.req.method} ${c.req.path}; see /openapi.json` } }, 404));
  app.use('*', metrics.middleware);

  app.get('/healthz', (c) => c.json({ ok: true }));
  app.get('/readyz', async (c) => {
    await sql`select 1`.execute(k);
    await deps.objects.has('readyz-probe');
    return c.json({ ok: true });
  });
  app.get('/metrics', async (c) => c.text(await metrics.registry.metrics(), 200, { 'Content-Type': metrics.registry.contentType }));

  const api = new OpenAPIHono<AppEnv>();
  api.use('*', authenticate(tokens, deps.auth));
  const jsonLimit = deps.jsonLimit ?? 1024 * 1024;
  const tooLarge = () => {
    throw new PayloadTooLargeError(`request body over ${jsonLimit} bytes`);
  };
  const limit = bodyLimit({ maxSize: jsonLimit, onError: tooLarge });
  // Blob uploads stream and are bounded by their digest check, not by the JSON limit.
  // GET/HEAD carry no body: skipping them also keeps @hono/node-server from building a full web
  // Request (which bodyLimit's checks would force) on the hottest read paths.
  const bodiless = (m: string) => m === 'GET' || m === 'HEAD';
  // A declared Content-Length is checked from the header, as bodyLimit itself does, but without
  // touching `c.req.raw.body`, which makes @hono/node-server build a full web Request and stream
  // for every JSON request (~15 % of a heartbeat's CPU); Node's parser delivers no more bytes than
  // declared. Chunked bodies go through bodyLimit, which counts them.
  api.use('*', async (c, next) => {
    if (bodiless(c.req.method) || c.req.path.includes('/blobs/') || c.req.path.endsWith('/chunks')) return next();
    const declared = c.req.header('content-length');
    if (declared === undefined || c.req.header('transfer-encoding') !== undefined) return limit(c, next);
    return parseInt(declared, 10) > jsonLimit ? tooLarge() : next();
  });
  // Channel tables carry an ETag so in-process resolvers (client createResolver) poll with If-None-Match.
  const channelEtag = etag();
  api.use('/models/:name/channels/:channel', async (c, next) => (c.req.method === 'GET' ? channelEtag(c, next) : next()));
  api.route('/', modelsRoutes(models));
  api.route('/', versionsRoutes(versions, blobs, metrics));
  api.route('/', channelsRoutes(channels));
  api.route('/', gates.routes);
  api.route('/', chainRoutes(chain));
  api.route('/', fleetRoutes(fleet));
  api.route('/', blobsRoutes(blobs, metrics, reserve));
  api.route('/', recipeChecksRoutes(blobs));
  api.route('/', chunksRoutes(storage.chunks, metrics.storageRejected, reserve));
  api.route('/', storageRoutes(storage, reserve));
  api.route('/', tokensRoutes(tokens, deps.signingKey));
  api.route('/', monitoringRoutes(monitoring.service, now));
  api.route('/', maintenanceRoutes(maintenance));
  for (const r of rollouts.routers) api.route('/', r);
  app.route('/api/v1', api);

  api.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  app.get('/openapi.json', (c) =>
    c.json(
      api.getOpenAPI31Document({
        openapi: '3.1.0',
        info: { title: 'Steward API', version: '1' },
        servers: [{ url: '/api/v1' }],
        security: [{ bearer: [] }],
      }),
    ),
  );

  return { app, api, services: { tokens, models, versions, channels, blobs, chain, fleet, versionStore, gates: gates.services, monitoring, storage, maintenance, rollouts } };
}
