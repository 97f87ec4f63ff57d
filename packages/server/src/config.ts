import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { InvalidInputError } from '@steward/core';
import { DEFAULT_MIN_FREE_MIB } from './features/storage/disk-reserve.ts';

export const ConfigSchema = z.strictObject({
  host: z.string().min(1),
  port: z.number().int().min(0).max(65535),
  dataDir: z.string().min(1),
  /** `sqlite:PATH` or `postgres://…`; default `sqlite:<dataDir>/steward.db`. */
  db: z.string().min(1),
  /** `file:DIR` or `s3://bucket/prefix?endpoint=…`; default `file:<dataDir>/objects`. */
  store: z.string().min(1),
  auth: z.boolean(),
  /** Largest JSON request body, bytes. */
  jsonLimit: z.number().int().positive(),
  quiet: z.boolean(),
  /** Parse and summarise part of large event batches on a worker thread (docs/monitoring.md). */
  ingestWorker: z.boolean(),
  /** Old-generation room V8 leaves past the live heap, percent (heap-growth.ts); 0: V8's own factor. */
  heapGrowingPercent: z.number().int().min(0).max(1000),
  /** Hand freed memory back to the system after this many MiB of transfers go quiet (memory-trim.ts); 0: never. */
  memoryTrimMiB: z.number().int().min(0).max(1024 * 1024),
  /** Free space uploads leave on the disks of the file store and the SQLite database, MiB (disk-reserve.ts); 0: none. */
  minFreeMiB: z.number().int().min(0).max(1024 * 1024 * 1024),
});
export type Config = z.infer<typeof ConfigSchema>;
export type ConfigInput = Partial<Config>;

const ENV: Record<string, keyof Config> = {
  STEWARD_HOST: 'host',
  STEWARD_PORT: 'port',
  STEWARD_DATA: 'dataDir',
  STEWARD_DB: 'db',
  STEWARD_STORE: 'store',
  STEWARD_AUTH: 'auth',
  STEWARD_INGEST_WORKER: 'ingestWorker',
  STEWARD_HEAP_GROWING_PERCENT: 'heapGrowingPercent',
  STEWARD_MEMORY_TRIM_MIB: 'memoryTrimMiB',
  STEWARD_MIN_FREE_MIB: 'minFreeMiB',
};

/** Fields whose environment value is a number, and those that are on/off. */
const NUMBERS = new Set<keyof Config>(['port', 'heapGrowingPercent', 'memoryTrimMiB', 'minFreeMiB']);
const SWITCHES = new Set<keyof Config>(['auth', 'ingestWorker']);

function fromEnv(env: NodeJS.ProcessEnv): ConfigInput {
  const out: Record<string, unknown> = {};
  for (const [k, field] of Object.entries(ENV)) {
    const v = env[k];
    if (v === undefined || v === '') continue;
    out[field] = NUMBERS.has(field) ? Number(v) : SWITCHES.has(field) ? !['0', 'false', 'off', 'no'].includes(v.toLowerCase()) : v;
  }
  return out as ConfigInput;
}

const defined = <T extends object>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

/**
 * Defaults < `<dataDir>/config.json` < STEWARD_* environment < explicit options (flags), validated
 * once. A bad value fails start-up with the field named.
 */
export function resolveConfig(flags: ConfigInput = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const early = { ...fromEnv(env), ...defined(flags) };
  const dataDir = resolve(early.dataDir ?? '.steward');
  const file = join(dataDir, 'config.json');
  let fromFile: ConfigInput = {};
  if (existsSync(file)) {
    try {
      fromFile = JSON.parse(readFileSync(file, 'utf8')) as ConfigInput;
    } catch (err) {
      throw new InvalidInputError(`cannot read ${file}: ${(err as Error).message}`, { file }, 'invalid_config');
    }
  }
  const merged = {
    host: '127.0.0.1',
    port: 7600,
    auth: true,
    jsonLimit: 1024 * 1024,
    quiet: false,
    ingestWorker: false,
    heapGrowingPercent: 200,
    memoryTrimMiB: 64,
    minFreeMiB: DEFAULT_MIN_FREE_MIB,
    ...defined(fromFile),
    ...early,
    dataDir,
  };
  const withDefaults = { db: `sqlite:${join(dataDir, 'steward.db')}`, store: `file:${join(dataDir, 'objects')}`, ...merged };
  const parsed = ConfigSchema.safeParse(withDefaults);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new InvalidInputError(`invalid configuration ${i.path.join('.')}: ${i.message}`, { issues: parsed.error.issues }, 'invalid_config');
  }
  return parsed.data;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
