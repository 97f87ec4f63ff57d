import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Db, openDb } from '../../db/connect.ts';
import { describeEachDb } from '../../testing/test-dbs.ts';
import { chainDb } from '../chain/chain.schema.ts';
import type { NodeWrite } from './node-batch.sql.ts';
import { createNodeStoreSql } from './nodes.store.sql.ts';

const NODES = ['n0', 'n1', 'n2', 'n3'];
const channel = fc.record({ model: fc.constantFrom('m', 'o'), channel: fc.constantFrom('c', 'd') });
const install = fc.record({ model: fc.constantFrom('m', 'o'), version: fc.constantFrom('1.0.0', '1.1.0'), digest: fc.constantFrom('a'.repeat(64), 'b'.repeat(64)) });
/** One heartbeat write: a record (new report, duplicates included) or a touch under some report key. */
const write = fc.record({
  node: fc.constantFrom(...NODES),
  record: fc.boolean(),
  channels: fc.array(channel, { maxLength: 3 }),
  installed: fc.array(install, { maxLength: 3 }),
  key: fc.constantFrom('k1', 'k2', 'k3'),
  block: fc.integer({ min: 1, max: 50 }),
});

/**
 * The batch statements (node-batch.sql.ts: one CTE statement on PostgreSQL, a transaction of
 * statements on SQLite) leave each node's subscriptions and installs equal to its last recorded
 * report, apply a touch only under the report key it was made for, and report the others missed —
 * across batches that mix records and touches, add, keep and drop rows, and repeat them.
 */
describeEachDb('heartbeat batches match their reports', (testDb) => {
  let db: Db;
  beforeAll(async () => {
    db = await openDb(testDb.url);
  });
  afterAll(async () => {
    await db?.close();
  });

  it('on random sequences of batches', async () => {
    const store = createNodeStoreSql(db.kysely);
    const k = chainDb(db.kysely);
    const uniq = (xs: string[]) => [...new Set(xs)].sort();
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(write, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 5 }), async (batches) => {
        for (const t of ['node_installed', 'node_channels', 'nodes'] as const) await k.deleteFrom(t).execute();
        const model = new Map<string, { key: string; block: number; channels: string[]; installed: string[]; raw: { model: string; channel: string }[] }>();
        for (const batch of batches) {
          // The writer keeps one write per node (the newest); so does this model.
          const ops = new Map<string, NodeWrite>();
          for (const w of batch) {
            const hb = { channels: w.channels, installed: w.installed, profile: {}, appVersion: '1', health: 'ok' as const };
            const prev = model.get(w.node);
            ops.set(
              w.node,
              w.record
                ? { kind: 'record', id: w.node, tokenId: 't', tokenName: 't', at: 'x', block: w.block, flagged: [], hb, prevChannels: prev?.raw ?? [], reportKey: w.key }
                : { kind: 'touch', id: w.node, at: 'x', block: w.block, hb, reportKey: w.key, repair: { id: w.node, tokenId: 't', tokenName: 't', at: 'x', block: w.block, flagged: [], hb, reportKey: w.key, mayClaim: false } },
            );
          }
          const { missed } = await store.writeBatch([...ops.values()]);
          const wantMissed: string[] = [];
          for (const op of ops.values()) {
            const cur = model.get(op.id);
            if (op.kind === 'record') {
              model.set(op.id, { key: op.reportKey, block: op.block, raw: op.hb.channels, channels: uniq(op.hb.channels.map((c) => `${c.model}/${c.channel}`)), installed: uniq(op.hb.installed.map((i) => `${i.model}/${i.version}/${i.digest}`)) });
            } else if (cur && cur.key === op.reportKey) cur.block = op.block;
            else wantMissed.push(op.id);
          }
          expect(missed.sort()).toEqual(wantMissed.sort());
        }
        const nodes = await k.selectFrom('nodes').select(['id', 'report_key', 'last_block']).execute();
        const channels = await k.selectFrom('node_channels').selectAll().execute();
        const installed = await k.selectFrom('node_installed').selectAll().execute();
        expect(nodes.map((n) => [n.id, n.report_key, Number(n.last_block)]).sort()).toEqual([...model].map(([id, m]) => [id, m.key, m.block]).sort());
        for (const [id, m] of model) {
          expect(uniq(channels.filter((c) => c.node_id === id).map((c) => `${c.model}/${c.channel}`))).toEqual(m.channels);
          expect(channels.filter((c) => c.node_id === id)).toHaveLength(m.channels.length);
          expect(uniq(installed.filter((i) => i.node_id === id).map((i) => `${i.model}/${i.version}/${i.digest}`))).toEqual(m.installed);
          expect(installed.filter((i) => i.node_id === id)).toHaveLength(m.installed.length);
        }
      }),
      { numRuns: 60 },
    );
  }, 120_000);
});
