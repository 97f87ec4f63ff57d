import { afterAll, beforeAll, expect, it } from 'vitest';
import { sql } from 'kysely';
import { verifyChain } from '@steward/core';
import { fakeClock, startFleetHarness, type FleetHarness } from '../fleet/fleet.harness.ts';
import { describeEachDb } from '../../testing/test-dbs.ts';
import { createChainStoreSql, sha256Hex } from './chain.store.sql.ts';

describeEachDb('hash-chained audit log', (db) => {
  let h: FleetHarness;
  beforeAll(async () => {
    h = await startFleetHarness(db.url, { clock: fakeClock() });
  });
  afterAll(async () => {
    await h?.close();
  });
  const walk = async () => {
    const r = await h.call('GET', 'chain/blocks?limit=1000');
    expect(r.status).toBe(200);
    return r.data.items as Parameters<typeof verifyChain>[0];
  };

  it('stamps events with their block and seals only past blocks, in order', async () => {
    h.clock.toBlock(3);
    await h.call('POST', 'models', { json: { name: 'm1' } });
    await h.call('POST', 'models', { json: { name: 'm2' } });
    h.clock.toBlock(5);
    await h.call('POST', 'models', { json: { name: 'm3' } });
    // Block 5 is the current block: not sealed yet.
    let head = await h.call('GET', 'chain/head');
    expect(head.data.currentBlock).toBe(5);
    expect(head.data.head.height).toBe(3);
    expect(head.data.head.eventCount).toBe(2);
    h.clock.toBlock(9);
    head = await h.call('GET', 'chain/head');
    expect(head.data.head.height).toBe(5);
    const blocks = await walk();
    expect(blocks.map((b) => b.block.height)).toEqual([0, 3, 5].filter((x) => blocks.some((b) => b.block.height === x)));
    expect(verifyChain(blocks, sha256Hex)).toMatchObject({ ok: true });
    const log = await h.call('GET', 'audit/events?limit=10');
    expect(log.data.items[0]).toMatchObject({ action: 'model.create', target: 'm3', block: 5 });
  });

  it('is idempotent and never forks when two sealers race', async () => {
    h.clock.toBlock(12);
    for (let i = 0; i < 5; i++) await h.call('POST', 'models', { json: { name: `race-${i}` } });
    h.clock.toBlock(14);
    const a = createChainStoreSql(h.db.kysely);
    const b = createChainStoreSql(h.db.kysely);
    const clock = await h.services.chain.clock();
    const sealed = await Promise.all([a.sealPast(clock, 14, 'x'), b.sealPast(clock, 14, 'x'), h.services.chain.seal()]);
    expect(sealed.reduce((s, n) => s + n, 0)).toBeGreaterThanOrEqual(1);
    expect(await a.sealPast(clock, 14, 'x')).toBe(0);
    const blocks = await walk();
    expect(new Set(blocks.map((x) => x.block.prevHash)).size).toBe(blocks.length);
    expect(verifyChain(blocks, sha256Hex)).toMatchObject({ ok: true });
  });

  it('puts an event that committed after its block was sealed into the next block', async () => {
    const at = new Date(h.clock.genesisMs + 11_100).toISOString(); // block 11, below the sealed head (12)
    await sql`insert into audit_events (id, at, actor, action, target, details) values ('aud_late', ${at}, 'x', 'late.event', 't', '{}')`.execute(h.db.kysely);
    h.clock.toBlock(20);
    await h.services.chain.seal();
    const blocks = await walk();
    const holder = blocks.find((b) => b.events.some((e) => e.includes('aud_late')));
    expect(holder!.block.height).toBeGreaterThan(12);
    expect(verifyChain(blocks, sha256Hex)).toMatchObject({ ok: true });
  });

  it('detects an event edited in the database', async () => {
    await sql`update audit_events set target = 'evil' where target = 'm1'`.execute(h.db.kysely);
    const v = verifyChain(await walk(), sha256Hex);
    expect(v).toMatchObject({ ok: false, fault: 'events_root_mismatch', firstBadHeight: 3 });
    await sql`update audit_events set target = 'm1' where target = 'evil'`.execute(h.db.kysely);
    expect(verifyChain(await walk(), sha256Hex)).toMatchObject({ ok: true });
  });

  it('detects a deleted event and an edited block row', async () => {
    await sql`update blocks set events_root = ${'a'.repeat(64)} where height = 5`.execute(h.db.kysely);
    expect(verifyChain(await walk(), sha256Hex)).toMatchObject({ ok: false, firstBadHeight: 5 });
    await sql`delete from audit_events where target = 'm2'`.execute(h.db.kysely);
    expect(verifyChain(await walk(), sha256Hex)).toMatchObject({ ok: false, firstBadHeight: 3, fault: 'event_count_mismatch' });
  });
});
