import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type NodeReport, assessFleet } from '@steward/core';
import { type Db, openDb } from '../../db/connect.ts';
import { describeEachDb } from '../../testing/test-dbs.ts';
import { chainDb } from '../chain/chain.schema.ts';
import { createNodeStoreSql } from './nodes.store.sql.ts';

const D = (c: string) => c.repeat(64);
const VERSIONS = ['1.0.0', '1.1.0', '2.0.0'];
const DIGESTS = [D('a'), D('b'), D('c')];

/**
 * The SQL quorum count (node_installed, GROUP BY) agrees with core's assessFleet on random fleets:
 * liveness at the TTL edge, other channels and models, duplicates, wrong digests, several
 * accepted digests per version.
 */
describeEachDb('quorumCounts agrees with assessFleet', (testDb) => {
  let db: Db;
  beforeAll(async () => {
    db = await openDb(testDb.url);
  });
  afterAll(async () => {
    await db?.close();
  });

  const installed = fc.array(fc.record({ model: fc.constantFrom('m', 'other'), version: fc.constantFrom(...VERSIONS), digest: fc.constantFrom(...DIGESTS) }), { maxLength: 5 });
  const node = fc.record({ lastBlock: fc.integer({ min: 90, max: 101 }), channel: fc.constantFrom('c', 'c', 'd'), installed });
  const required = fc.dictionary(fc.constantFrom(...VERSIONS), fc.uniqueArray(fc.constantFrom(...DIGESTS), { minLength: 1, maxLength: 2 }), { minKeys: 1, maxKeys: 2 });

  it('on random fleets', async () => {
    const store = createNodeStoreSql(db.kysely);
    await fc.assert(
      fc.asyncProperty(fc.array(node, { maxLength: 12 }), required, fc.integer({ min: 0, max: 6 }), async (fleet, req, ttl) => {
        const k = chainDb(db.kysely);
        for (const t of ['node_installed', 'node_channels', 'nodes'] as const) await k.deleteFrom(t).execute();
        await store.writeBatch(
          fleet.map((n, i) => ({
            kind: 'record' as const,
            id: `n${i}`,
            tokenId: 't',
            tokenName: 't',
            at: 'x',
            block: n.lastBlock,
            flagged: [],
            hb: { channels: [{ model: 'm', channel: n.channel }], installed: n.installed, profile: {}, appVersion: '1', health: 'ok' as const },
            prevChannels: [],
            reportKey: `k${i}`,
          })),
        );
        const block = 100;
        const got = await store.quorumCounts('m', 'c', block - ttl, req);
        const reports: NodeReport[] = fleet
          .map((n, i) => ({ n, i }))
          .filter(({ n }) => n.channel === 'c')
          .map(({ n, i }) => ({ id: `n${i}`, lastHeartbeatBlock: n.lastBlock, installed: n.installed.filter((x) => x.model === 'm') }));
        const want = assessFleet(reports, req, { currentBlock: block, livenessTtlBlocks: ttl });
        expect(got).toEqual({ live: want.live.length, ready: want.ready.length });
      }),
      { numRuns: 40 },
    );
  }, 120_000);
});
