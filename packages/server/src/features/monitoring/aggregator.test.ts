import { mulberry32 } from '@steward/core';
import { describe, expect, it } from 'vitest';
import { Aggregator, CLAIM, MISS } from './aggregator.ts';
import type { FeedbackEvent, PredictionEvent } from './events.parse.ts';

const T = Date.UTC(2026, 0, 1, 12, 0, 0);
const agg = (o: Partial<ConstructorParameters<typeof Aggregator>[0]> = {}) =>
  new Aggregator({ labelHorizonMs: 3_600_000, maxPending: 100, reservoir: 10, threshold: 0.5, random: mulberry32(1), ...o });
const pred = (id: string, score = 0.9, t = T): PredictionEvent => ({ type: 'prediction', model: 'm', version: '1', requestId: id, t, features: { x: 1 }, score });
const fb = (id: string, label: 0 | 1 = 1, t = T + 1000): FeedbackEvent => ({ type: 'feedback', model: 'm', requestId: id, label, t });
const ids = (taken: ReturnType<Aggregator['takePending']>) => taken.pending.flatMap((p) => p.columns.ids);
const labelled = (a: Aggregator) => a.takeDeltas().reduce((s, d) => s + d.summary.labelled.n, 0);

describe('Aggregator pending joins', () => {
  it('joins fresh predictions in memory and never writes them', () => {
    const a = agg();
    a.addPrediction(pred('a'));
    a.addPrediction(pred('b'));
    expect(a.addFeedback(fb('a'))).toBeUndefined();
    expect(ids(a.takePending())).toEqual(['b']);
  });

  it('joins a prediction whose flush is in flight, and has the next flush claim it', () => {
    const a = agg();
    a.addPrediction(pred('a'));
    const taken = a.takePending();
    expect(taken.count).toBe(1);
    expect(a.addFeedback(fb('a'))).toBeUndefined();
    a.pendingStored();
    expect(a.takePending()).toEqual({ pending: [], count: 0, joined: [{ model: 'm', requestId: 'a', t: T }] });
  });

  it('claims stored predictions, answers MISS for requests it does not hold, and joins only a won claim', () => {
    const a = agg();
    a.addPrediction(pred('a', 0.2));
    a.addPrediction(pred('b', 0.9));
    a.takePending();
    a.pendingStored();
    expect(a.addPrediction(pred('a'))).toBe('duplicate_request');
    expect(a.addFeedback(fb('a'))).toBe(CLAIM);
    expect(a.addFeedback(fb('zzz'))).toBe(MISS);
    const rowA = a.stored(fb('a'));
    const rowB = a.stored(fb('b'));
    expect(rowA).toMatchObject({ requestId: 'a', t: T });
    expect(a.joinClaimed(fb('a', 0), rowA, true)).toBeUndefined();
    expect(a.joinClaimed(fb('b'), rowB, false)).toBe('unknown_request'); // claimed elsewhere first
    expect(a.stored(fb('b'))).toEqual(rowB); // the loser leaves it: the winner may still be joining
    expect(a.stored(fb('a'))).toBeUndefined();
    expect(a.joinClaimed(fb('zzz'), undefined, true)).toBe('unknown_request');
    expect(a.addPrediction(pred('a'))).toBeUndefined();
    const [d] = a.takeDeltas();
    expect(d!.summary.labelled).toMatchObject({ n: 1, tn: 1 });
  });

  it('holds predictions loaded from segments as stored, and rejects their labels past the horizon', () => {
    const a = agg();
    expect(a.loadStored([{ model: 'm', requestId: 'old', version: '1', t: T, predictedPositive: true }, { model: 'm', requestId: 'new', version: '1', t: T + 5000, predictedPositive: false }])).toBe(2);
    expect(a.loadStored([{ model: 'm', requestId: 'new', version: '1', t: T, predictedPositive: true }])).toBe(0);
    expect(a.addFeedback(fb('old', 1, T + 3_600_001))).toBe(CLAIM);
    expect(a.joinClaimed(fb('old', 1, T + 3_600_001), a.stored(fb('old')), true)).toBe('unknown_request');
    expect(a.joinClaimed(fb('new', 0, T + 6000), a.stored(fb('new')), true)).toBeUndefined();
    expect(labelled(a)).toBe(1);
  });

  it('puts rows of a failed flush back, except those joined meanwhile', () => {
    const a = agg();
    for (const id of ['a', 'b', 'c']) a.addPrediction(pred(id));
    const taken = a.takePending();
    a.addPrediction(pred('d'));
    expect(a.addFeedback(fb('b'))).toBeUndefined();
    a.pendingNotStored(taken.joined);
    expect(a.freshCount).toBe(3);
    const again = a.takePending();
    expect(ids(again)).toEqual(['a', 'c', 'd']);
    // b's row was never committed; deleting it next time is harmless and keeps a retried flush simple.
    expect(again.joined).toEqual([{ model: 'm', requestId: 'b', t: T }]);
  });

  it('evicts the oldest pending prediction at the cap and counts it', () => {
    const a = agg({ maxPending: 2 });
    a.addPrediction(pred('a'));
    a.takePending();
    a.pendingStored();
    a.addPrediction(pred('b'));
    a.addPrediction(pred('c')); // evicts stored a: its label can no longer join here
    a.addPrediction(pred('d')); // evicts fresh b: never written
    expect(a.evicted).toBe(2);
    expect(ids(a.takePending())).toEqual(['c', 'd']);
    expect(a.addFeedback(fb('a'))).toBe(MISS);
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
