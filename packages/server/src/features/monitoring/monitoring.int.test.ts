import { afterAll, beforeAll, expect, it } from 'vitest';
import { startHarness, type Harness } from '../../testing/api-harness.ts';
import { describeEachDb } from '../../testing/test-dbs.ts';

const ndjson = (rows: unknown[]) => rows.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n');

describeEachDb('monitoring API', (db) => {
  let h: Harness;
  const post = (body: string) => h.call('POST', 'events', { body, headers: { 'content-type': 'application/x-ndjson' } });
  beforeAll(async () => {
    h = await startHarness(db.url);
    await h.call('POST', 'models', { json: { name: 'm' } });
    expect((await h.push('m', '1.0.0', { 'model.txt': 'x' })).status).toBe(201);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('accepts good lines and counts every rejection by reason', async () => {
    const now = new Date().toISOString();
    const p = (id: string, extra: Record<string, unknown> = {}) => ({ type: 'prediction', model: 'm', version: '1.0.0', requestId: id, time: now, features: { x: 1.5, c: 'a' }, score: 0.8, latencyMs: 3, groups: { sex: 'F' }, ...extra });
    const res = await post(ndjson([
      p('a'), p('b', { score: 0.2 }),
      p('a'), // duplicate request id
      p('c', { model: 'nope' }), p('d', { version: '9.9.9' }),
      p('e', { features: { x: 'str' } }), // type clash with the window
      p('f', { score: 'high' }), '{"model":"m","version":"1.0.0","requestId":"g","latencyMs":1e999}',
      '{"model": "m", "score": NaN}', '{not json',
      { type: 'feedback', model: 'm', requestId: 'a', label: 1 },
      { type: 'feedback', model: 'm', requestId: 'zzz', label: 0 },
      { type: 'feedback', model: 'm', requestId: 'b', label: 'maybe' },
    ]));
    expect(res.status).toBe(200);
    expect(res.data).toMatchObject({ accepted: 3, predictions: 2, feedback: 1, rejected: 10 });
    expect(res.data.reasons).toEqual({
      duplicate_request: 1, unknown_model: 1, unknown_version: 1, feature_type_changed: 1, wrong_type: 2, not_finite: 1, invalid_json: 2, unknown_request: 1,
    });
    expect(res.data.errors[0]).toMatchObject({ line: 3, code: 'duplicate_request' });
    const metrics = await h.call('GET', '/metrics');
    expect(metrics.text).toMatch(/steward_monitoring_events_rejected_total\{reason="invalid_json"\} 2/);
    expect(metrics.text).toMatch(/steward_monitoring_events_accepted_total\{type="prediction"\} 2/);
    // b still waits for its label; a joined.
    expect(metrics.text).toMatch(/steward_monitoring_pending_predictions 1\n/);
    expect(metrics.text).toMatch(/steward_monitoring_pending_evicted 0\n/);

    const mon = await h.call('GET', 'models/m/monitor?version=1.0.0&window=1m&since=1h');
    expect(mon.status).toBe(200);
    expect(mon.data.items).toHaveLength(1);
    expect(mon.data.items[0].metrics).toMatchObject({ count: 2, labelled: 1, accuracy: 1, positiveRate: 0.5 });
    const hourly = await h.call('GET', 'models/m/monitor?window=1h&since=1h');
    expect(hourly.data.items[0].metrics.count).toBe(2);
  });

  it('describes its routes in /openapi.json', async () => {
    const doc = await h.call('GET', '/openapi.json');
    expect(doc.status).toBe(200);
    for (const p of ['/events', '/models/{name}/monitor', '/models/{name}/versions/{version}/drift', '/models/{name}/versions/{version}/fairness', '/models/{name}/rules', '/models/{name}/labels']) {
      expect(Object.keys(doc.data.paths)).toContain(p);
    }
  });

  it('rejects oversized batches with 413 and bad ranges with 400', async () => {
    const big = ndjson(Array.from({ length: 10000 }, (_, i) => ({ model: 'm', version: '1.0.0', requestId: `big-${i}`, features: { a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8, i: 9, j: 10, k: 11, l: 12 } })));
    const res = await post(big);
    expect(res.status).toBe(413);
    expect((await h.call('GET', 'models/m/monitor?since=yesterday')).status).toBe(400);
    expect((await h.call('GET', 'models/m/versions/1.0.0/drift')).data.error.code).toBe('reference_not_found');
  });

  it('builds a reference from a CSV and reports drift, performance and fairness', async () => {
    const csv = ['x,c,y,p', ...Array.from({ length: 300 }, (_, i) => `${(i % 10) / 10},${i % 2 ? 'a' : 'b'},${i % 3 ? 1 : 0},${i % 3 ? 0.9 : 0.1}`)].join('\n');
    const ref = await h.call('PUT', 'models/m/versions/1.0.0/reference?label=y&positiveClass=1&score=p', { body: csv, headers: { 'content-type': 'text/csv' } });
    expect(ref.status).toBe(200);
    expect(ref.data.columns).toEqual(['x', 'c']);
    expect(ref.data.performance.accuracy).toBe(1);
    const drift = await h.call('GET', 'models/m/versions/1.0.0/drift?since=1h');
    expect(drift.status).toBe(200);
    expect(drift.data.columns.map((c: { name: string }) => c.name)).toEqual(['x', 'c']);
    const perf = await h.call('GET', 'models/m/versions/1.0.0/performance?since=1h');
    expect(perf.data.realized.accuracy).toBe(1);
    expect(perf.data.estimated.accuracy).toBeCloseTo(0.8, 10);
    const fair = await h.call('GET', 'models/m/versions/1.0.0/fairness?attr=sex&since=1h&minGroupSize=1');
    expect(fair.status).toBe(200);
    expect(fair.data.groups[0]).toMatchObject({ group: 'F', n: 2, selectionRate: 0.5 });
    expect((await h.call('GET', 'models/m/versions/1.0.0/fairness?attr=race&since=1h')).status).toBe(404);
  });
});
