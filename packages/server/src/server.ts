import { mkdirSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { InvalidInputError } from '@steward/core';
import { createApp } from './app.ts';
import { applyHeapGrowth } from './heap-growth.ts';
import { startTransferTrim, stopTransferTrim } from './memory-trim.ts';
import { isLoopback, resolveConfig, type Config, type ConfigInput } from './config.ts';
import { openDb } from './db/connect.ts';
import { loadOrCreateSigningKey } from './features/keys/signing-key.ts';
import { createObjectStoreFromUrl } from './storage/store-url.ts';

export interface RunningServer {
  url: string;
  config: Config;
  /** Set only on the start that created the first admin token. */
  adminToken?: string;
  close(): Promise<void>;
}

const SWEEP_EVERY_MS = 10 * 60_000;

/** `steward serve`: config → database (migrated) → object store → key → HTTP. */
export async function startServer(flags: ConfigInput = {}, env: NodeJS.ProcessEnv = process.env): Promise<RunningServer> {
  const config = resolveConfig(flags, env);
  if (!config.auth && !isLoopback(config.host)) {
    throw new InvalidInputError(`refusing to listen on ${config.host} with auth off: anyone on the network would be admin; drop --no-auth or bind 127.0.0.1`, {}, 'insecure_bind');
  }
  const say = (msg: string) => {
    if (!config.quiet) process.stderr.write(`${msg}\n`);
  };
  // Fewer full GCs while pushes and pulls stream Buffers through (heap-growth.ts); process-wide.
  applyHeapGrowth(config.heapGrowingPercent);
  // Freed body and pack buffers go back to the system once transfers go quiet (memory-trim.ts).
  const trimmer = startTransferTrim(config.memoryTrimMiB);
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const db = await openDb(config.db);
  const objects = await createObjectStoreFromUrl(config.store, { dataDir: config.dataDir });
  const signingKey = loadOrCreateSigningKey(config.dataDir);
  const { app, services } = createApp({ db, objects, signingKey, auth: config.auth, jsonLimit: config.jsonLimit, monitoring: { ingestWorker: config.ingestWorker }, storage: { minFreeBytes: config.minFreeMiB * 2 ** 20 } });

  const adminToken = await services.tokens.bootstrapAdmin();
  if (adminToken) {
    const file = join(config.dataDir, 'admin.token');
    writeFileSync(file, `${adminToken}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
    say(`created the first admin token (shown once, saved to ${file}):\n  ${adminToken}`);
  }
  await services.versionStore.sweepExpiredDrafts(new Date().toISOString());
  // Temp files of uploads cut off by a crash; an hour old means no live upload still owns them.
  const sweepTemp = (objects as { sweepTemp?: (olderThanMs: number) => Promise<number> }).sweepTemp;
  if (sweepTemp) await sweepTemp.call(objects, 3600_000);
  const sweeper = setInterval(() => {
    services.versionStore.sweepExpiredDrafts(new Date().toISOString()).catch((err) => console.error('draft sweep failed', err));
  }, SWEEP_EVERY_MS);
  sweeper.unref();
  // Seal past blocks of the audit log and re-check fleet quorums once per block.
  await services.chain.start();
  await services.fleet.start();
  // Advance rollout steps, run analyses, start scheduled rollouts (STEWARD_ROLLOUT_INTERVAL_MS, default 1 s).
  const stopRollouts = services.rollouts.controller.start(Number(env.STEWARD_ROLLOUT_INTERVAL_MS) > 0 ? Number(env.STEWARD_ROLLOUT_INTERVAL_MS) : 1000);
  // Flush monitoring windows to SQL periodically, and evaluate maintenance rules.
  services.monitoring.start();
  services.maintenance.start();

  const server = await new Promise<ReturnType<typeof serve>>((resolveServer, reject) => {
    const s = serve({ fetch: app.fetch, hostname: config.host, port: config.port }, () => resolveServer(s));
    s.once('error', reject);
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `http://${host}:${addr.port}`;
  say(`steward listening on ${url} (db ${db.describe}, store ${config.store}${config.auth ? '' : ', AUTH OFF'})`);
  return {
    url,
    config,
    ...(adminToken ? { adminToken } : {}),
    async close() {
      clearInterval(sweeper);
      stopTransferTrim(trimmer);
      stopRollouts();
      services.maintenance.stop();
      await services.fleet.stop();
      await services.chain.stop();
      services.blobs.close();
      await new Promise<void>((r) => server.close(() => r()));
      // After the socket closes, so no event arrives after the last flush.
      await services.monitoring.stop();
      await objects.close?.();
      await db.close();
    },
  };
}
