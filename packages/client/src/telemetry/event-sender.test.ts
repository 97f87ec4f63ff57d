import { describe, expect, it } from 'vitest';
import { EventSender } from './event-sender.ts';

const ev = (i: number) => ({ model: 'm', version: '1.0.0', requestId: `r${i}`, features: { x: i } });

describe('EventSender', () => {
  it('batches, counts accepted and drops beyond the bounded queue without blocking', async () => {
    const batches: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const s = new EventSender({
      maxQueue: 5, batchSize: 3, flushIntervalMs: 60_000,
      send: async (b) => {
        await gate;
        batches.push(b);
        const n = b.split('\n').length;
        return { accepted: n, rejected: 0, predictions: n, feedback: 0, reasons: {}, errors: [] };
      },
    });
    const results = Array.from({ length: 12 }, (_, i) => s.record(ev(i)));
    // 3 went out in the first (stalled) batch, 5 fit in the queue, the rest were dropped.
    expect(results.filter((r) => !r)).toHaveLength(4);
    expect(s.stats.dropped).toBe(4);
    release();
    await s.close();
    expect(s.stats).toMatchObject({ sent: 8, accepted: 8, dropped: 4, failed: 0, queued: 0 });
    expect(batches.map((b) => b.split('\n').length)).toEqual([3, 3, 2]);
    expect(JSON.parse(batches[0]!.split('\n')[0]!).requestId).toBe('r0');
  });

  it('retries a failed batch once, then counts it as failed', async () => {
    let calls = 0;
    const s = new EventSender({ flushIntervalMs: 60_000, retryDelayMs: 1, send: async () => { calls++; throw new Error('down'); } });
    s.record(ev(1));
    s.record(ev(2));
    await s.close();
    expect(calls).toBe(2);
    expect(s.stats.failed).toBe(2);
  });
});
