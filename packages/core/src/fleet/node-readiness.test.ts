import { describe, expect, it } from 'vitest';
import { assessFleet, quorumNeed } from './node-readiness.ts';

describe('quorumNeed', () => {
  it('rounds up fractions of nodes, robust to binary floating point', () => {
    expect(quorumNeed(3, 2 / 3)).toBe(2);
    expect(quorumNeed(4, 2 / 3)).toBe(3);
    expect(quorumNeed(300, 2 / 3)).toBe(200);
    expect(quorumNeed(100, 0.07)).toBe(7); // 0.07 * 100 = 7.000000000000001 in binary
    expect(quorumNeed(100, 0.55)).toBe(55); // 55.00000000000001
    expect(quorumNeed(100, 0.29)).toBe(29); // 0.29 * 100 = 28.999999999999996
    expect(quorumNeed(1, 0.01)).toBe(1);
    expect(quorumNeed(0, 2 / 3)).toBe(0);
    expect(quorumNeed(5, 1)).toBe(5);
  });

  it('rejects a fraction outside (0, 1]', () => {
    for (const q of [0, -0.1, 1.01, Number.NaN]) expect(() => quorumNeed(3, q)).toThrow(/quorum/);
  });
});

describe('assessFleet', () => {
  it('separates live, ready and flagged nodes', () => {
    const r = assessFleet(
      [
        { id: 'ok', lastHeartbeatBlock: 50, installed: [{ version: '1.0.0', digest: 'd1' }] },
        { id: 'missing', lastHeartbeatBlock: 50, installed: [] },
        { id: 'wrong', lastHeartbeatBlock: 50, installed: [{ version: '1.0.0', digest: 'dX' }] },
        { id: 'dead', lastHeartbeatBlock: 39, installed: [{ version: '1.0.0', digest: 'd1' }] },
        { id: 'ahead', lastHeartbeatBlock: 51, installed: [{ version: '1.0.0', digest: 'd1' }] },
      ],
      { '1.0.0': 'd1' },
      { currentBlock: 50, livenessTtlBlocks: 10 },
    );
    expect(r.live).toEqual(['ok', 'missing', 'wrong', 'ahead']);
    expect(r.ready).toEqual(['ok', 'ahead']);
    expect(r.flagged).toEqual(['wrong']);
    expect(r.mismatches).toEqual([{ nodeId: 'wrong', version: '1.0.0', digest: 'dX' }]);
  });

  it('ignores digests of versions the proposal does not reference', () => {
    const r = assessFleet(
      [{ id: 'n', lastHeartbeatBlock: 0, installed: [{ version: '0.9.0', digest: 'whatever' }, { version: '1.0.0', digest: 'd1' }] }],
      { '1.0.0': 'd1' },
      { currentBlock: 0, livenessTtlBlocks: 0 },
    );
    expect(r).toMatchObject({ ready: ['n'], flagged: [] });
  });
});
