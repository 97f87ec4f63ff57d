import { formatCsv } from '@steward/core';
import { loadAdult, makeAdultModel } from '../../../../../tools/adult-model.ts';
import { sha256, type Harness } from '../../testing/api-harness.ts';

/** Test fixtures shared by the gates suites: two real adult models (good and weak) and the test split. */
export function adultFixture(testRows = 4000) {
  const train = loadAdult('train');
  const test = loadAdult('test');
  const small = { header: test.header, rows: test.rows.slice(0, testRows) };
  const keep = new Set(['age', 'hours-per-week', 'income']);
  return {
    good: makeAdultModel(train),
    /** Same data, different regularization: nearly identical predictions (no regression). */
    twin: makeAdultModel(train, { l2: 2e-4 }),
    weak: makeAdultModel(train, { exclude: train.header.filter((h) => !keep.has(h)) }),
    csv: new TextEncoder().encode(formatCsv(small)),
    rows: small.rows.length,
  };
}

/** Uploads dataset bytes and registers them, as `steward dataset push` does. */
export async function pushDataset(h: Harness, name: string, version: string, bytes: Uint8Array, meta: Record<string, unknown>, token?: string) {
  const digest = sha256(bytes);
  const up = await h.call('PUT', `blobs/${digest}`, { body: bytes, headers: { 'content-length': String(bytes.length) }, ...(token ? { token } : {}) });
  if (up.status >= 300) return up;
  return h.call('POST', `datasets/${name}/versions`, { json: { version, sha256: digest, format: 'csv', ...meta }, ...(token ? { token } : {}) });
}

export async function token(h: Harness, name: string, role: string): Promise<string> {
  const r = await h.call('POST', 'tokens', { json: { name, role } });
  if (r.status !== 201) throw new Error(`token ${name}: ${r.text}`);
  return r.data.token as string;
}
