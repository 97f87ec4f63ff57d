import { describe, expect, it } from 'vitest';
import { createAgent } from './agent.ts';

const table = (stable: string) => ({ stable });
/** One channel's answer; `pending` names the table on its way, if any. */
const channel = (pending: string | null) => ({
  model: 'phi', channel: 'production', history: [{ table: table('1.0.0'), usableFromBlock: 0 }], inForce: table('1.0.0'),
  pending: pending ? { id: 'tr_1', table: table(pending), proposedAtBlock: 1 } : null, lagging: false, missing: [],
});
const answer = (etag: string, pending: string | null) => ({
  nodeId: 'n1', etag, currentBlock: 1, genesisMs: 0, intervalMs: 1000, activationDelay: 5, rollbackDelay: 2,
  heartbeatIntervalMs: 600_000, lagging: false, flagged: [], channels: [channel(pending)],
});

/**
 * The agent's long-poll `since` names the tables it holds: when a heartbeat answer from an older
 * view lands after a long-poll answer (a server whose cache trailed), the next long-poll must ask
 * with the heartbeat's etag, so the server answers at once with the newer tables instead of
 * holding a request whose etag the agent no longer holds.
 */
describe('agent long-poll etag', () => {
  it('follows whichever answer was applied last: a stale heartbeat answer re-asks the long-poll at once', async () => {
    const sinces: (string | null)[] = [];
    let beats = 0;
    const json = (body: unknown) => new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
    const agent = createAgent({
      url: 'http://steward.test',
      token: 't',
      nodeId: 'n1',
      channels: [{ model: 'phi', channel: 'production' }],
      loader: { load: async () => 'h', run: async () => 'ok' },
      now: () => 1500,
      onError: () => undefined,
      fetch: async (u, init) => {
        const url = new URL(String(u));
        if (url.pathname.endsWith('/heartbeat')) {
          beats++;
          // The first two come from a view before the change (the second one trails the long-poll).
          return json(beats <= 2 ? answer('E1', null) : answer('E2', '1.1.0'));
        }
        const since = url.searchParams.get('since');
        sinces.push(since);
        if (since !== 'E2') return json(answer('E2', '1.1.0')); // the server holds E2: answer at once
        return new Promise<Response>((resolve, reject) => {
          const t = setTimeout(() => resolve(new Response(null, { status: 304, headers: { etag: '"E2"' } })), 5000);
          init?.signal?.addEventListener('abort', () => (clearTimeout(t), reject(init.signal!.reason)), { once: true });
        });
      },
    });
    try {
      await agent.start();
      const t0 = Date.now();
      while (!(beats >= 3 && agent.status().channels[0]!.pending?.stable === '1.1.0') && Date.now() - t0 < 2000) await new Promise((r) => setTimeout(r, 5));
      // Polls: from the first heartbeat's E1 (answered), held on E2, dropped when the stale
      // heartbeat answer brought E1 back, asked again from E1 (answered), held on E2.
      expect(sinces.slice(0, 4)).toEqual(['E1', 'E2', 'E1', 'E2']);
      expect(agent.status().channels[0]!.pending?.stable).toBe('1.1.0');
      expect(Date.now() - t0).toBeLessThan(2000); // not a long-poll timeout (5 s) or a heartbeat interval
    } finally {
      await agent.close();
    }
  });
});
