import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { loadOrCreateBlockClock } from '../chain/block-clock.store.ts';
import type { ChannelService } from '../channels/channels.service.ts';
import type { ModelStore } from '../models/models.store.ts';
import { resolveRoutes } from '../resolve/resolve.routes.ts';
import { createResolveService } from '../resolve/resolve.service.ts';
import { telemetryRoutes } from '../telemetry/telemetry.routes.ts';
import { createTelemetryService } from '../telemetry/telemetry.service.ts';
import { createTelemetryStoreSql } from '../telemetry/telemetry.store.sql.ts';
import type { VersionStore } from '../versions/versions.store.sql.ts';
import type { AnalysisMetricSource } from './analysis-source.ts';
import { createController } from './controller.ts';
import { createEngine } from './engine.ts';
import { rolloutsRoutes } from './rollouts.routes.ts';
import { createRolloutService } from './rollouts.service.ts';
import { createRolloutStoreSql } from './rollouts.store.sql.ts';

export interface RolloutFeatureDeps {
  db: Kysely<Database>;
  modelStore: ModelStore;
  versionStore: VersionStore;
  channels: ChannelService;
  now: () => Date;
  log: (msg: string, err?: unknown) => void;
  /** Extra metric sources (monitoring) consulted after telemetry. */
  sources?: AnalysisMetricSource[];
}

/**
 * Rollouts, telemetry and resolve are wired together: analyses read telemetry, resolve reads the
 * active rollout. Returns the routers to mount under /api/v1 and the controller to run.
 */
export function createRolloutFeature(deps: RolloutFeatureDeps) {
  const { db, modelStore, versionStore, channels, now, log } = deps;
  const telemetry = createTelemetryService({ telemetryStore: createTelemetryStoreSql(db), now });
  const sources: AnalysisMetricSource[] = [telemetry.source, ...(deps.sources ?? [])];
  const rolloutStore = createRolloutStoreSql(db);
  const engine = createEngine({ rolloutStore, channels, now });
  const rollouts = createRolloutService({ modelStore, versionStore, channels, rolloutStore, engine, sources, telemetry: telemetry.source, now });
  channels.onChange(rollouts.onChannelChange);
  const controller = createController({ rolloutStore, engine, sources, wallNow: now, // Scheduled rollouts read the same persisted clock as the chain (meta 'chain.genesis', created if absent).
    clock: (nowMs) => loadOrCreateBlockClock(db, nowMs), log });
  const resolve = createResolveService({ modelStore, versionStore, channels, rollouts });
  return {
    rollouts,
    telemetry,
    resolve,
    controller,
    /** Monitoring registers its quality metrics here. */
    addMetricSource: (s: AnalysisMetricSource) => void sources.push(s),
    routers: [rolloutsRoutes(rollouts), telemetryRoutes(telemetry), resolveRoutes(resolve)],
  };
}

export type RolloutFeature = ReturnType<typeof createRolloutFeature>;
