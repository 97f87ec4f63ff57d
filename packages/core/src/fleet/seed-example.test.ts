import { describe, expect, it } from 'vitest';
import { blockAt } from '../chain/block-clock.ts';
import { drainable, tableAt, type TransitionRecord } from './table-at-block.ts';
import { decideTransition } from './transition-rules.ts';

/**
 * The seed example, as written: "a request is added at block 15; at block 16 the channel
 * switches from llama-2.0.0 to llama-2.1.0, keeping 2.0.0 as the old model; the request, still
 * computing at block 18, is served by 2.0.0; new requests at block 20 use 2.1.0."
 */
describe('seed example: llama 2.0.0 → 2.1.0 at block 16', () => {
  const clock = { genesisMs: Date.UTC(2026, 0, 1), intervalMs: 1000 };
  const D200 = 'sha256:' + '2'.repeat(64);
  const D210 = 'sha256:' + '3'.repeat(64);
  const v200 = { stable: '2.0.0' };
  const v210 = { stable: '2.1.0' };

  // Block 6: two of three live nodes report llama-2.1.0 installed under the registry digest, so
  // the server schedules the switch for 6 + activationDelay (10) = block 16.
  const decision = decideTransition({
    currentTable: v200,
    proposedTable: v210,
    requiredDigests: { '2.1.0': D210 },
    nodes: [
      { id: 'gpu-a', lastHeartbeatBlock: 6, installed: [{ version: '2.0.0', digest: D200 }, { version: '2.1.0', digest: D210 }] },
      { id: 'gpu-b', lastHeartbeatBlock: 5, installed: [{ version: '2.0.0', digest: D200 }, { version: '2.1.0', digest: D210 }] },
      { id: 'gpu-c', lastHeartbeatBlock: 6, installed: [{ version: '2.0.0', digest: D200 }] },
    ],
    currentBlock: 6,
    livenessTtlBlocks: 3,
  });
  if (decision.state !== 'scheduled') throw new Error(`expected a scheduled transition, got ${decision.state}`);
  const history: TransitionRecord<{ stable: string }>[] = [
    { table: v200, usableFromBlock: 0 },
    { table: decision.table, usableFromBlock: decision.usableFromBlock },
  ];

  it('switches at block 16 and keeps 2.0.0 as the previous table', () => {
    expect(decision.usableFromBlock).toBe(16);
    expect(decision.previousTable).toEqual(v200);
    expect(tableAt(history, 15)).toEqual(v200);
    expect(tableAt(history, 16)).toEqual(v210);
  });

  it('serves the block-15 request with 2.0.0 while it is still computing at block 18', () => {
    const submitted = blockAt(clock.genesisMs + 15_400, clock);
    expect(submitted).toBe(15);
    const now = blockAt(clock.genesisMs + 18_900, clock);
    expect(now).toBe(18);
    expect(tableAt(history, submitted)?.stable).toBe('2.0.0');
    // The node has switched (block 18 ≥ 16) but must keep 2.0.0 loaded for that request.
    expect(tableAt(history, now)?.stable).toBe('2.1.0');
    expect(drainable({ inflightSubmittedBlocks: [submitted], currentBlock: now, usableFromBlock: 16, drainBlocks: 2 })).toMatchObject({
      drainable: false,
      waitingFor: 'inflight',
    });
  });

  it('serves new requests at block 20 with 2.1.0, and 2.0.0 may be unloaded once the old request is done', () => {
    expect(tableAt(history, blockAt(clock.genesisMs + 20_000, clock))?.stable).toBe('2.1.0');
    expect(drainable({ inflightSubmittedBlocks: [20], currentBlock: 20, usableFromBlock: 16, drainBlocks: 2 })).toEqual({
      drainable: true,
    });
  });
});
