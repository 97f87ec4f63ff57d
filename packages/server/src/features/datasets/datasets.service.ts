import { ConflictError, InvalidInputError, NotFoundError, type RawTable } from '@steward/core';
import type { Dataset, DatasetInput } from '@steward/core/api';
import { isUniqueViolation } from '../../db/connect.ts';
import { iso, type Principal } from '../../lib/context.ts';
import { newId } from '../../lib/ids.ts';
import type { BlobService } from '../blobs/blobs.service.ts';
import type { GatesDb } from '../gates/gates.tables.ts';
import { buildSchema, parseDataset, type DatasetFormat, type DatasetSchema, type Task } from './dataset-table.ts';

export type { Dataset, DatasetInput };

const NAME = /^[a-z0-9][a-z0-9._-]*$/;
const VERSION = /^[0-9A-Za-z][0-9A-Za-z.+-]*$/;

/** Splits `NAME@VERSION`. */
export function parseDatasetRef(ref: string): { name: string; version: string } {
  const i = ref.indexOf('@');
  const name = ref.slice(0, i);
  const version = ref.slice(i + 1);
  if (i <= 0 || !NAME.test(name) || !VERSION.test(version)) throw new InvalidInputError(`expected a dataset as NAME@VERSION, got "${ref}"`, { ref }, 'invalid_dataset_ref');
  return { name, version };
}

async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const p of stream) parts.push(p);
  return Buffer.concat(parts);
}

/**
 * Evaluation datasets: versioned, immutable, bytes stored as a content-addressed blob, schema
 * (columns, label, sensitive columns, task) kept in `eval_datasets`. Parsed tables are cached by
 * digest (bytes never change under a digest), a few at a time.
 */
export function createDatasetService(deps: { db: GatesDb; blobs: BlobService; now: () => Date }) {
  const { db, blobs, now } = deps;
  const cache = new Map<string, RawTable>();
  const toDataset = (r: { name: string; version: string; sha256: string; size: number; format: string; rows: number; schema_json: string; created_at: string; created_by: string }): Dataset => ({
    name: r.name,
    version: r.version,
    sha256: r.sha256,
    size: Number(r.size),
    format: r.format as DatasetFormat,
    rows: Number(r.rows),
    schema: JSON.parse(r.schema_json) as DatasetSchema,
    createdAt: r.created_at,
    createdBy: r.created_by,
  });

  async function tableOf(sha256: string, format: DatasetFormat): Promise<RawTable> {
    const hit = cache.get(sha256);
    if (hit) return hit;
    const { stream } = await blobs.open(sha256);
    const table = parseDataset(await readAll(stream as AsyncIterable<Uint8Array>), format);
    if (cache.size >= 4) cache.delete(cache.keys().next().value as string);
    cache.set(sha256, table);
    return table;
  }

  const service = {
    async push(name: string, input: DatasetInput, by: Principal): Promise<Dataset> {
      parseDatasetRef(`${name}@${input.version}`);
      const stat = await blobs.stat(input.sha256);
      if (!stat) throw new ConflictError(`dataset bytes not uploaded: PUT /api/v1/blobs/${input.sha256} first`, { missing: [input.sha256] }, 'blob_missing');
      const table = await tableOf(input.sha256, input.format);
      if (table.rows.length === 0) throw new InvalidInputError('dataset has no rows', {}, 'invalid_dataset');
      const schema = buildSchema(table, input);
      const row = {
        id: newId('ds'),
        name,
        version: input.version,
        sha256: input.sha256,
        size: Number(stat.size),
        format: input.format,
        schema_json: JSON.stringify(schema),
        rows: table.rows.length,
        created_at: iso(now()),
        created_by: by.name,
      };
      try {
        await db.insertInto('eval_datasets').values(row).execute();
      } catch (err) {
        if (isUniqueViolation(err)) throw new ConflictError(`dataset ${name}@${input.version} already exists; datasets are immutable, push a new version`, { dataset: `${name}@${input.version}` }, 'dataset_exists');
        throw err;
      }
      return toDataset(row);
    },
    async get(name: string, version: string): Promise<Dataset> {
      const r = await db.selectFrom('eval_datasets').selectAll().where('name', '=', name).where('version', '=', version).executeTakeFirst();
      if (!r) throw new NotFoundError(`dataset ${name}@${version} not found; register it with: steward dataset push ${name} ${version} FILE --label COLUMN`, { dataset: `${name}@${version}` }, 'dataset_not_found');
      return toDataset(r);
    },
    async list(name?: string): Promise<Dataset[]> {
      let q = db.selectFrom('eval_datasets').selectAll().orderBy('name').orderBy('created_at');
      if (name) q = q.where('name', '=', name);
      return (await q.limit(1000).execute()).map(toDataset);
    },
    /** The dataset and its parsed rows, from `NAME@VERSION`. */
    async load(ref: string): Promise<{ dataset: Dataset; table: RawTable }> {
      const { name, version } = parseDatasetRef(ref);
      const dataset = await service.get(name, version);
      return { dataset, table: await tableOf(dataset.sha256, dataset.format) };
    },
  };
  return service;
}

export type DatasetService = ReturnType<typeof createDatasetService>;
