// Versions listing and filters at 100k versions of one model, p50/p99, on SQLite and PostgreSQL.
// Rows are bulk-inserted with the same shape a commit writes; queries go through the real app.
// Run: node --import tsx bench/versions-list.bench.ts   (PostgreSQL from STEWARD_TEST_PG_URL)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Insertable } from 'kysely';
import { parseVersion } from '@steward/core';
import type { VersionAttrsTable, VersionFilesTable, VersionsTable } from '../packages/server/src/db/schema.ts';
import { createApp } from '../packages/server/src/app.ts';
import { openDb } from '../packages/server/src/db/connect.ts';
import { loadOrCreateSigningKey } from '../packages/server/src/features/keys/signing-key.ts';
import { createMemoryObjectStore } from '../packages/server/src/storage/object-store.memory.ts';
import { testDbTargets } from '../packages/server/src/testing/test-dbs.ts';

const N = Number(process.env.STEWARD_BENCH_VERSIONS ?? 100_000);
const ROUNDS = 200;

async function seed(dbUrl: string) {
  const db = await openDb(dbUrl);
  const k = db.kysely;
  const at = new Date().toISOString();
  await k.insertInto('models').values({ id: 'm1', name: 'big', description: '', tags: '{}', archived_at: null, created_at: at, updated_at: at }).execute();
  const batch = 500;
  for (let i = 0; i < N; i += batch) {
    const versions: Insertable<VersionsTable>[] = [];
    const attrs: Insertable<VersionAttrsTable>[] = [];
    const files: Insertable<VersionFilesTable>[] = [];
    for (let j = i; j < Math.min(i + batch, N); j++) {
      const v = `${Math.floor(j / 10000)}.${Math.floor(j / 100) % 100}.${j % 100}`;
      const p = parseVersion(v);
      const f1 = (j * 7919) % 1000 / 1000;
      const id = `v${j}`;
      versions.push({
        id, model_id: 'm1', version: v, sort_key: p.sortKey, prerelease: 0, state: 'committed' as const, description: '', params: '{"lr":0.01}',
        metrics: JSON.stringify({ f1 }), tags: j % 10 === 0 ? '{"team":"risk"}' : '{}', datasets: '[]', input_schema: null, output_schema: null,
        dependencies: '{}', parent: null, relation: null, author: 'bench', created_at: at, committed_at: at, expires_at: null, manifest: '{}', signature: 's', key_id: 'k',
      });
      attrs.push({ version_id: id, model_id: 'm1', kind: 'metric' as const, key: 'f1', num_value: f1, str_value: null });
      if (j % 10 === 0) attrs.push({ version_id: id, model_id: 'm1', kind: 'tag' as const, key: 'team', num_value: null, str_value: 'risk' });
      files.push({ version_id: id, path: 'model.onnx', sha256: 'a'.repeat(64), size: 1 });
    }
    await k.transaction().execute(async (trx) => {
      await trx.insertInto('versions').values(versions).execute();
      await trx.insertInto('version_attrs').values(attrs).execute();
      await trx.insertInto('version_files').values(files).execute();
    });
  }
  if (db.dialect === 'postgres') await k.executeQuery({ sql: 'analyze', parameters: [], query: { kind: 'RawNode' } as never } as never).catch(() => undefined);
  return db;
}

function pct(xs: number[], p: number) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

const queries: [string, string][] = [
  ['list newest 50', 'models/big/versions?limit=50'],
  ['metric filter f1>=0.9', `models/big/versions?limit=50&filter=${encodeURIComponent('metrics.f1>=0.9')}`],
  ['rare: f1>=0.999 and team', `models/big/versions?limit=50&filter=${encodeURIComponent('metrics.f1>=0.999 and tags.team=risk')}`],
  ['range ^5.0.0', `models/big/versions?limit=50&range=${encodeURIComponent('^5.0.0')}`],
  ['page 2 via cursor', ''],
  ['get latest', 'models/big/versions/latest'],
];

for (const target of testDbTargets()) {
  if (!target.create) {
    console.log(`${target.name}: skipped (set STEWARD_TEST_PG_URL)`);
    continue;
  }
  const t = await target.create();
  const dir = mkdtempSync(join(tmpdir(), 'steward-bench-'));
  const t0 = performance.now();
  const db = await seed(t.url);
  const seedS = (performance.now() - t0) / 1000;
  const { app } = createApp({ db, objects: createMemoryObjectStore(), signingKey: loadOrCreateSigningKey(dir), auth: false });
  const first = (await (await app.request('/api/v1/models/big/versions?limit=50')).json()) as { nextCursor: string };
  console.log(`\n${target.name}: ${N} versions seeded in ${seedS.toFixed(1)} s`);
  console.log('query'.padEnd(28), 'p50 ms'.padStart(8), 'p99 ms'.padStart(8), 'items'.padStart(6));
  for (const [name, q] of queries) {
    const path = `/api/v1/${q || `models/big/versions?limit=50&cursor=${first.nextCursor}`}`;
    const times: number[] = [];
    let items = 0;
    for (let i = 0; i < ROUNDS; i++) {
      const s = performance.now();
      const res = await app.request(path);
      const body = (await res.json()) as { items?: unknown[] };
      times.push(performance.now() - s);
      if (res.status !== 200) throw new Error(`${name}: HTTP ${res.status} ${JSON.stringify(body)}`);
      items = body.items?.length ?? 1;
    }
    console.log(name.padEnd(28), pct(times, 50).toFixed(2).padStart(8), pct(times, 99).toFixed(2).padStart(8), String(items).padStart(6));
  }
  await db.close();
  await t.cleanup();
  rmSync(dir, { recursive: true, force: true });
}
