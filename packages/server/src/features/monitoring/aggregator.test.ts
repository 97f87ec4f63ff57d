import { mulberry32 } from '@steward/core';
import { describe, expect, it } from 'vitest';
import { Aggregator, CLAIM } from './aggregator.ts';
import type { FeedbackEvent, PredictionEvent } from './events.parse.ts';

const T = Date.UTC(2026, 0, 1, 12, 0, 0);
const agg = (o: Partial<ConstructorParameters<typeof Aggregator>[0]> = {}) =>
  new Aggregator({ labelHorizonMs: 3_600_000, maxPending: 100, reservoir: 10, threshold: 0.5, random: mulberry32(1), ...o });
const pred = (id: string, score = 0.9, t = T): PredictionEvent => ({ type: 'prediction', model: 'm', version: '1', requestId: id, t, features: { x: 1 }, score });
const fb = (id: string, label: 0 | 1 = 1, t = T + 1000): FeedbackEvent => ({ type: 'feedback', model: 'm', requestId: id, label, t });
const labelled = (a: Aggregator) => a.takeDeltas().reduce((s, d) => s + d.summary.labelled.n, 0);

describe('Aggregator pending joins', () => {
  it('joins fresh predictions in memory and never writes them', () => {
    const a = agg();
    a.addPrediction(pred('a'));
    a.addPrediction(pred('b'));
    expect(a.addFeedback(fb('a'))).toBeUndefined();
    expect(a.takePending().rows.map((r) => r.requestId)).toEqual(['b']);
  });

  it('joins a prediction whose flush is in flight, and has the next flush delete its row', () => {
    const a = agg();
    a.addPrediction(pred('a'));
    const taken = a.takePending();
    expect(taken.rows).toHaveLength(1);
    expect(a.addFeedback(fb('a'))).toBeUndefined();
    a.pendingStored(taken.rows);
    expect(a.takePending()).toEqual({ rows: [], joined: [{ model: 'm', requestId: 'a' }] });
  });

  it('claims stored predictions and unknown ones from the table, once', () => {
    const a = agg();
    a.addPrediction(pred('a', 0.2));
    const taken = a.takePending();
    a.pendingStored(taken.rows);
    expect(a.addPrediction(pred('a'))).toBe('duplicate_request');
    expect(a.addFeedback(fb('a'))).toBe(CLAIM);
    expect(a.addFeedback(fb('zzz'))).toBe(CLAIM);
    expect(a.joinClaimed(fb('a', 0), taken.rows[0])).toBeUndefined();
    expect(a.joinClaimed(fb('zzz'), undefined)).toBe('unknown_request');
    // Claimed: no longer pending here either.
    expect(a.addPrediction(pred('a'))).toBeUndefined();
    const [d] = a.takeDeltas();
    expect(d!.summary.labelled).toMatchObject({ tn: 1, tp: 0, fp: 0, fn: 0 });
  });

  it('rejects a claimed row past the label horizon', () => {
    const a = agg();
    expect(a.joinClaimed(fb('a', 1, T + 3_600_001), { model: 'm', requestId: 'a', version: '1', t: T, predictedPositive: true })).toBe('unknown_request');
    expect(labelled(a)).toBe(0);
  });

  it('puts rows of a failed flush back, except those joined meanwhile', () => {
    const a = agg();
    for (const id of ['a', 'b', 'c']) a.addPrediction(pred(id));
    const taken = a.takePending();
    a.addPrediction(pred('d'));
    expect(a.addFeedback(fb('b'))).toBeUndefined();
    a.pendingNotStored(taken.rows, taken.joined);
    const again = a.takePending();
    expect(again.rows.map((r) => r.requestId)).toEqual(['a', 'c', 'd']);
    // b's row was never committed; deleting it next time is harmless and keeps a retried flush simple.
    expect(again.joined).toEqual([{ model: 'm', requestId: 'b' }]);
  });

  it('evicts the oldest pending prediction at the cap, counting only unstored ones as lost', () => {
    const a = agg({ maxPending: 2 });
    a.addPrediction(pred('a'));
    a.pendingStored(a.takePending().rows);
    a.addPrediction(pred('b'));
    a.addPrediction(pred('c')); // evicts stored a: still claimable from the table
    expect(a.evicted).toBe(0);
    a.addPrediction(pred('d')); // evicts fresh b: lost
    expect(a.evicted).toBe(1);
    expect(a.takePending().rows.map((r) => r.requestId)).toEqual(['c', 'd']);
    expect(a.addFeedback(fb('a'))).toBe(CLAIM);
  });

  it('hands out the states of detectors fed since the last flush and resumes from them', () => {
    const a = agg();
    a.addPrediction(pred('a', 0.3));
    a.addPrediction(pred('b', 0.7));
    const states = a.takeDetectorStates();
    expect(states).toHaveLength(1);
    expect(a.takeDetectorStates()).toEqual([]);
    a.addPrediction(pred('c', 0.1));
    expect(a.takeDetectorStates()).toHaveLength(1); // fed again after the flush: dirty again
    const b = agg();
    const bad: string[] = [];
    b.loadDetectorStates([...states, { model: 'x', version: '1', state: '{"ddm":' }], (r) => bad.push(r.model));
    expect(b.detectors('m', '1')!.pageHinkley.n).toBe(2);
    expect(bad).toEqual(['x']);
  });
});
