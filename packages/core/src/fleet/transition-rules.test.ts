import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NodeReport } from './node-readiness.ts';
import { assessFleet } from './node-readiness.ts';
import { type TransitionInput, decideTransition, decideTransitionCounted } from './transition-rules.ts';

const D20 = 'sha256:' + 'a'.repeat(64);
const D21 = 'sha256:' + 'b'.repeat(64);
const EVIL = 'sha256:' + 'e'.repeat(64);

const A = { stable: '2.0.0' };
const B = { stable: '2.1.0' };

/** Node `id`, heartbeat at `hb`, with 2.1.0 installed under `digest` (or nothing). */
const node = (id: string, hb: number, digest?: string): NodeReport => ({
  id,
  lastHeartbeatBlock: hb,
  installed: digest === undefined ? [{ version: '2.0.0', digest: D20 }] : [{ version: '2.0.0', digest: D20 }, { version: '2.1.0', digest }],
});

const base = (nodes: NodeReport[], over: Partial<TransitionInput<{ stable: string }>> = {}): TransitionInput<{ stable: string }> => ({
  currentTable: A,
  proposedTable: B,
  requiredDigests: { '2.1.0': D21 },
  nodes,
  currentBlock: 100,
  livenessTtlBlocks: 5,
  ...over,
});

describe('decideTransition: quorum', () => {
  it('schedules at current + activationDelay with exactly 2/3 of live nodes ready', () => {
    const d = decideTransition(base([node('n1', 100, D21), node('n2', 99, D21), node('n3', 100)]));
    expect(d).toMatchObject({ state: 'scheduled', usableFromBlock: 110, previousTable: A, basis: 'quorum', have: 2, need: 2 });
  });

  it('waits just below 2/3', () => {
    expect(decideTransition(base([node('n1', 100, D21), node('n2', 100), node('n3', 100)]))).toMatchObject({
      state: 'waiting',
      have: 1,
      need: 2,
      live: 3,
      flagged: [],
    });
    const six = ['a', 'b', 'c', 'd', 'e', 'f'].map((id, i) => node(id, 100, i < 3 ? D21 : undefined));
    expect(decideTransition(base(six))).toMatchObject({ state: 'waiting', have: 3, need: 4 });
  });

  it('ignores dead nodes, in both directions; the TTL bound is inclusive', () => {
    const deadUnready = [node('d1', 10), node('d2', 94), node('d3', 0)];
    expect(decideTransition(base([node('n1', 100, D21), node('n2', 95, D21), node('n3', 100), ...deadUnready]))).toMatchObject({
      state: 'scheduled',
      have: 2,
      need: 2,
    });
    const deadReady = [node('d1', 94, D21), node('d2', 3, D21), node('d3', 50, D21)];
    expect(decideTransition(base([node('n1', 100, D21), node('n2', 100), node('n3', 100), ...deadReady]))).toMatchObject({
      state: 'waiting',
      have: 1,
      need: 2,
      live: 3,
    });
  });

  it('flags a wrong digest and does not count it', () => {
    const d = decideTransition(base([node('n1', 100, D21), node('n2', 100, EVIL), node('n3', 100)]));
    expect(d).toMatchObject({
      state: 'waiting',
      have: 1,
      need: 2,
      flagged: ['n2'],
      mismatches: [{ nodeId: 'n2', version: '2.1.0', digest: EVIL }],
    });
    // Reporting the right digest next to a wrong one for the same version does not help.
    const twoFaced: NodeReport = { id: 'n2', lastHeartbeatBlock: 100, installed: [{ version: '2.1.0', digest: D21 }, { version: '2.1.0', digest: EVIL }] };
    expect(decideTransition(base([node('n1', 100, D21), twoFaced, node('n3', 100)]))).toMatchObject({ state: 'waiting', have: 1, flagged: ['n2'] });
    // Dead nodes are flagged too, and still not counted.
    expect(decideTransition(base([node('n1', 100, D21), node('n2', 100, D21), node('x', 1, EVIL)]))).toMatchObject({
      state: 'scheduled',
      have: 2,
      flagged: ['x'],
    });
  });

  it('accepts any registry digest of a version (one per variant) and needs every referenced version', () => {
    const INT8 = 'sha256:' + 'c'.repeat(64);
    const D22 = 'sha256:' + 'd'.repeat(64);
    const proposed = { stable: '2.1.0', candidate: { version: '2.2.0', weight: 10 } };
    const required = { '2.1.0': [D21, INT8], '2.2.0': D22 };
    const full = (id: string, d: string): NodeReport => ({ id, lastHeartbeatBlock: 100, installed: [{ version: '2.1.0', digest: d }, { version: '2.2.0', digest: D22 }] });
    const d = decideTransition(base([full('n1', D21), full('n2', INT8), node('n3', 100, D21)], { proposedTable: proposed, requiredDigests: required }));
    expect(d).toMatchObject({ state: 'scheduled', have: 2, need: 2 });
    const partial = decideTransition(base([full('n1', D21), node('n2', 100, INT8), node('n3', 100, D21)], { proposedTable: proposed, requiredDigests: required }));
    expect(partial).toMatchObject({ state: 'waiting', have: 1 });
  });

  it('honours a custom quorum and activation delay', () => {
    const nodes = [node('n1', 100, D21), node('n2', 100, D21), node('n3', 100)];
    expect(decideTransition(base(nodes, { quorum: 1 }))).toMatchObject({ state: 'waiting', need: 3 });
    expect(decideTransition(base(nodes, { quorum: 0.5, activationDelay: 3 }))).toMatchObject({ usableFromBlock: 103 });
    expect(() => decideTransition(base(nodes, { activationDelay: 0 }))).toThrow(/activationDelay/);
    expect(() => decideTransition(base(nodes, { quorum: 0 }))).toThrow(/quorum/);
  });

  it('agrees with exact rational arithmetic: scheduled iff have/live >= num/den', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }).chain((den) => fc.tuple(fc.integer({ min: 1, max: den }), fc.constant(den))),
        fc.array(fc.record({ live: fc.boolean(), ready: fc.boolean() }), { minLength: 1, maxLength: 40 }),
        ([num, den], spec) => {
          const nodes = spec.map((s, i) => node(`n${i}`, s.live ? 100 : 50, s.ready ? D21 : undefined));
          const live = spec.filter((s) => s.live).length;
          const have = spec.filter((s) => s.live && s.ready).length;
          const d = decideTransition(base(nodes, { quorum: num / den }));
          if (live === 0) expect(d).toMatchObject({ state: 'scheduled', usableFromBlock: 101 });
          else if (have * den >= num * live) expect(d).toMatchObject({ state: 'scheduled', usableFromBlock: 110 });
          else expect(d).toMatchObject({ state: 'waiting', have });
        },
      ),
    );
  });
});

describe('decideTransition: no nodes, downgrades, rollbacks', () => {
  it('applies at the next block without live nodes', () => {
    expect(decideTransition(base([]))).toMatchObject({ state: 'scheduled', usableFromBlock: 101, basis: 'no-live-nodes' });
    expect(decideTransition(base([node('gone', 3)]))).toMatchObject({ usableFromBlock: 101, basis: 'no-live-nodes' });
    expect(decideTransition(base([], { currentTable: undefined }))).toMatchObject({ usableFromBlock: 101, previousTable: undefined });
  });

  it('never lets quorum decide a move to a lower version', () => {
    const down = base([node('n1', 100, D20), node('n2', 100, D20)], { currentTable: B, proposedTable: A, requiredDigests: { '2.0.0': D20 } });
    expect(() => decideTransition(down)).toThrow(expect.objectContaining({ code: 'downgrade_requires_rollback', status: 409 }));
    expect(() => decideTransition({ ...down, currentTable: { stable: '2.0.0' }, proposedTable: { stable: '2.0.0-rc.1' }, requiredDigests: { '2.0.0-rc.1': D20 } })).toThrow(/rollback/);
  });

  it('schedules an explicit rollback at the next block, without waiting for quorum', () => {
    const rb = base([node('n1', 100), node('n2', 100), node('n3', 100)], {
      currentTable: B,
      proposedTable: A,
      requiredDigests: { '2.0.0': D20 },
      rollback: true,
    });
    const nobody = { ...rb, nodes: rb.nodes.map((n) => ({ ...n, installed: [] })) };
    expect(decideTransition(nobody)).toMatchObject({ state: 'scheduled', usableFromBlock: 101, basis: 'rollback', previousTable: B, have: 0, need: 2 });
    expect(() => decideTransition(base([], { rollback: true }))).toThrow(expect.objectContaining({ code: 'rollback_raises_version' }));
  });

  it('treats an upgrade from a prerelease as a move up, and an equal table as unchanged', () => {
    const d = decideTransition(base([], { currentTable: { stable: '2.1.0-rc.1' } }));
    expect(d).toMatchObject({ state: 'scheduled' });
    const cur = { stable: '2.1.0', candidate: { version: '2.2.0', weight: 5 } };
    const same = { candidate: { weight: 5, version: '2.2.0' }, stable: '2.1.0' };
    expect(decideTransition(base([], { currentTable: cur, proposedTable: same }))).toEqual({ state: 'unchanged' });
    // Same stable, different candidate: a real change, neither up nor down.
    expect(decideTransition(base([], { currentTable: cur, proposedTable: { stable: '2.1.0' } }))).toMatchObject({ state: 'scheduled' });
  });

  it('rejects a proposal whose stable version has no registry digest', () => {
    expect(() => decideTransition(base([], { requiredDigests: {} }))).toThrow(/no digest/);
  });
});

describe('decideTransitionCounted', () => {
  const strip = (d: object) => Object.fromEntries(Object.entries(d).filter(([k]) => k !== 'flagged' && k !== 'mismatches'));

  it('decides as decideTransition does when given assessFleet counts', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ hb: fc.integer({ min: 90, max: 100 }), d: fc.constantFrom(undefined, D21, EVIL) }), { maxLength: 30 }),
        fc.boolean(),
        fc.constantFrom(A, B, { stable: '2.2.0' }),
        async (spec, rollback, current) => {
          const nodes = spec.map((s, i) => node(`n${i}`, s.hb, s.d));
          const input = base(nodes, { currentTable: current, rollback });
          let expected: unknown;
          try {
            expected = strip(decideTransition(input));
          } catch (err) {
            expected = (err as { code?: string }).code;
          }
          const fleet = assessFleet(nodes, input.requiredDigests, input);
          let asked = 0;
          let got: unknown;
          try {
            got = strip(await decideTransitionCounted(input, async () => (asked++, { live: fleet.live.length, ready: fleet.ready.length })));
          } catch (err) {
            got = (err as { code?: string }).code;
          }
          if (rollback) expect(asked).toBe(0); // a rollback never waits for the fleet: no count needed
          const decisive = (d: unknown) => (typeof d === 'object' && d !== null && rollback ? { ...d, have: 0, need: 0 } : d);
          expect(decisive(got)).toEqual(decisive(expected)); // a rollback's have/need are not counted

        },
      ),
    );
  });

  it('refuses counts where ready exceeds live', async () => {
    await expect(decideTransitionCounted(base([]), async () => ({ live: 1, ready: 2 }))).rejects.toThrow(/ready ≤ live/);
  });
});
