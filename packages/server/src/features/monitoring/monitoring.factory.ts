import type { Kysely } from 'kysely';
import type { Registry } from 'prom-client';
import { mulberry32, NotFoundError } from '@steward/core';
import type { Database } from '../../db/schema.ts';
import type { BlobService } from '../blobs/blobs.service.ts';
import type { VersionService } from '../versions/versions.service.ts';
import { createMonitoringCounters } from './monitoring.metrics.ts';
import { createMonitoringService, type MonitoringConfig } from './monitoring.service.ts';
import { createMonitoringStoreSql } from './monitoring.store.sql.ts';

async function readText(blobs: Pick<BlobService, 'open'>, sha256: string): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of (await blobs.open(sha256)).stream) chunks.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Wires monitoring into the app. `start()` begins the periodic flush (unref'd timer), `stop()`
 * clears it and flushes what is left — call it before closing the database.
 */
export function createMonitoring(deps: {
  db: Kysely<Database>;
  blobs: Pick<BlobService, 'open'>;
  versions: Pick<VersionService, 'get'>;
  registry?: Registry;
  now: () => Date;
  config?: Partial<MonitoringConfig>;
  log?: (msg: string, err?: unknown) => void;
}) {
  const store = createMonitoringStoreSql(deps.db as unknown as Parameters<typeof createMonitoringStoreSql>[0], mulberry32(0xc0ffee));
  const counters = deps.registry ? createMonitoringCounters(deps.registry) : undefined;
  const service = createMonitoringService({
    store,
    now: deps.now,
    ...(deps.config ? { config: deps.config } : {}),
    ...(counters ? { counters } : {}),
    versionExists: async (model, version) => {
      const v = await deps.versions.get(model, version);
      if (v.version !== version) throw new NotFoundError(`${model}@${version} is not a version`, {}, 'version_not_found');
    },
    datasetsOf: async (model, version) => (await deps.versions.get(model, version)).datasets ?? [],
    readBlob: (sha256) => readText(deps.blobs, sha256),
    ...(deps.log ? { log: deps.log } : {}),
  });
  counters?.watchPending(() => service.pending);
  let timer: ReturnType<typeof setInterval> | undefined;
  return {
    service,
    store,
    start() {
      if (timer) return;
      timer = setInterval(() => void service.flush().catch((e) => deps.log?.('monitoring flush failed', e)), service.config.flushIntervalMs);
      timer.unref?.();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await service.close();
    },
  };
}
