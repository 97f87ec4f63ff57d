import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../chain/canonical-json.ts';
import type { NodeReport } from './node-readiness.ts';
import { mustWait } from './pending-transitions.ts';
import { drainable, tableAt } from './table-at-block.ts';
import { decideTransition } from './transition-rules.ts';

type Table = { stable: string };
const digestOf = (v: string): string => `sha256:${v}`;

/**
 * Simulates a channel over 80 blocks: rollouts and rollbacks proposed at random blocks with random
 * fleet readiness, requests submitted at random blocks running for random durations. Whatever
 * happens in between, a request finishes on the table that was in force when it was submitted,
 * and the table it runs on is never drainable while it runs.
 */
describe('request resolution (property)', () => {
  const proposal = fc.record({ at: fc.nat(70), rollback: fc.boolean(), ready: fc.nat(3) });
  const request = fc.record({ submit: fc.nat(70), duration: fc.nat(30) });

  it('serves every request by the table in force at its submitted block, however long it runs', () => {
    fc.assert(
      fc.property(fc.array(proposal, { maxLength: 15 }), fc.array(request, { minLength: 1, maxLength: 20 }), (proposals, requests) => {
        const history: { table: Table; usableFromBlock: number; proposedAt: number }[] = [
          { table: { stable: '1.0.0' }, usableFromBlock: 0, proposedAt: 0 },
        ];
        let minor = 0;
        const servedAtSubmit = new Map<number, string>();
        for (let b = 0; b < 110; b++) {
          // Requests submitted in block b resolve before any decision taken later in the same block.
          requests.forEach((r, i) => {
            if (r.submit === b) servedAtSubmit.set(i, canonicalJson(tableAt(history, b)));
          });
          for (const p of proposals.filter((x) => x.at === b)) {
            const existing = history.map((r, i) => ({ id: `t${i}`, model: 'm', channel: 'production', proposedAtBlock: r.proposedAt, usableFromBlock: r.usableFromBlock }));
            if (mustWait({ id: 'new', model: 'm', channel: 'production', proposedAtBlock: b }, existing, b).wait) continue;
            const current = tableAt(history, b) as Table;
            const idx = history.findIndex((r) => r.table === current);
            const proposed = p.rollback ? history[idx - 1]?.table : { stable: `1.${++minor}.0` };
            if (proposed === undefined || proposed.stable === current.stable) continue;
            const nodes: NodeReport[] = [0, 1, 2].map((i) => ({
              id: `n${i}`,
              lastHeartbeatBlock: b,
              installed: i < p.ready ? [{ version: proposed.stable, digest: digestOf(proposed.stable) }] : [],
            }));
            const d = decideTransition({
              currentTable: current,
              proposedTable: proposed,
              requiredDigests: { [proposed.stable]: digestOf(proposed.stable) },
              nodes,
              currentBlock: b,
              livenessTtlBlocks: 2,
              rollback: p.rollback,
            });
            if (d.state !== 'scheduled') continue;
            expect(d.usableFromBlock).toBeGreaterThan(b);
            history.push({ table: d.table, usableFromBlock: d.usableFromBlock, proposedAt: b });
          }
          requests.forEach((r, i) => {
            if (r.submit + r.duration !== b) return;
            // Finishing now, with whatever history exists now.
            expect(canonicalJson(tableAt(history, r.submit))).toBe(servedAtSubmit.get(i));
            for (const t of history.filter((h) => h.usableFromBlock > r.submit && h.usableFromBlock <= b)) {
              const v = drainable({ inflightSubmittedBlocks: [r.submit], currentBlock: b, usableFromBlock: t.usableFromBlock, drainBlocks: 0 });
              expect(v.drainable).toBe(false);
            }
          });
        }
      }),
      { numRuns: 200 },
    );
  });
});
