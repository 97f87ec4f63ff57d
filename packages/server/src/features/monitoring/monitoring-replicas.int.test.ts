import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../../testing/api-harness.ts';
import { testDbTargets } from '../../testing/test-dbs.ts';

// Two server replicas on one PostgreSQL database. (Replicas sharing one SQLite file are not a
// supported deployment: SQLite lets one writer in at a time and a losing flush retries later.)
const target = testDbTargets().find((t) => t.name === 'postgres')!;
const d = target.create ? describe : describe.skip;

d('two replicas flushing the same windows on postgres', () => {
  let a: Harness;
  let b: Harness;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    const t = await target.create!();
    cleanup = t.cleanup;
    a = await startHarness(t.url);
    b = await startHarness(t.url);
    await a.call('POST', 'models', { json: { name: 'm' } });
    expect((await a.push('m', '1.0.0', { 'model.txt': 'x' })).status).toBe(201);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await cleanup?.();
  });

  it('adds every count exactly (no lost update, no failed insert race)', async () => {
    const t0 = Math.floor(Date.now() / 60_000) * 60_000 - 180_000;
    const rounds = 25;
    const perRound = 40;
    let sent = 0;
    for (let r = 0; r < rounds; r++) {
      const batch = (replica: string) => Array.from({ length: perRound }, (_, i) => JSON.stringify({
        model: 'm', version: '1.0.0', requestId: `${replica}-${r}-${i}`, time: new Date(t0 + (i % 2) * 60_000 + r).toISOString(),
        features: { x: i, c: replica }, score: (i % 10) / 10, latencyMs: 1,
      })).join('\n');
      const [ra, rb] = await Promise.all([a.services.monitoring.service.ingest(batch('a')), b.services.monitoring.service.ingest(batch('b'))]);
      expect(ra.accepted + rb.accepted).toBe(2 * perRound);
      sent += 2 * perRound;
      // Both replicas merge into the same two minute rows, the same hour and the same day at once.
      await Promise.all([a.services.monitoring.service.flush(), b.services.monitoring.service.flush()]);
    }
    const range = { since: new Date(t0 - 86_400_000), until: new Date(t0 + 86_400_000) };
    for (const g of ['1m', '1h', '1d'] as const) {
      const ws = await a.services.monitoring.service.windows('m', '1.0.0', g, range);
      expect(ws.reduce((s, w) => s + w.summary.count, 0)).toBe(sent);
    }
    const minutes = await b.services.monitoring.service.metrics('m', '1.0.0', '1m', range);
    expect(minutes.map((w) => w.metrics.count)).toEqual([sent / 2, sent / 2]);
  }, 120_000);

  it('joins a label on one replica to a prediction made on the other, once', async () => {
    const t0 = Math.floor(Date.now() / 60_000) * 60_000 - 60_000;
    const preds = Array.from({ length: 20 }, (_, i) => JSON.stringify({ model: 'm', version: '1.0.0', requestId: `x${i}`, time: new Date(t0 + i).toISOString(), features: { x: i }, score: 0.9 })).join('\n');
    expect((await a.services.monitoring.service.ingest(preds)).accepted).toBe(20);
    await a.services.monitoring.service.flush();
    const labels = Array.from({ length: 20 }, (_, i) => JSON.stringify({ type: 'feedback', model: 'm', requestId: `x${i}`, label: i % 2 })).join('\n');
    // The same labels reach both replicas at once: each label joins on exactly one of them.
    const [ra, rb] = await Promise.all([a.services.monitoring.service.ingest(labels), b.services.monitoring.service.ingest(labels)]);
    expect(ra.feedback + rb.feedback).toBe(20);
    expect((ra.reasons.unknown_request ?? 0) + (rb.reasons.unknown_request ?? 0)).toBe(20);
    await Promise.all([a.services.monitoring.service.flush(), b.services.monitoring.service.flush()]);
    const [w] = await b.services.monitoring.service.metrics('m', '1.0.0', '1m', { since: new Date(t0), until: new Date(t0 + 60_000) });
    expect(w!.metrics).toMatchObject({ labelled: 20, accuracy: 0.5 });
    // A replica that saw none of them still joins a label once the other has flushed.
    expect((await a.services.monitoring.service.ingest(JSON.stringify({ model: 'm', version: '1.0.0', requestId: 'y', time: new Date(t0 + 50).toISOString(), features: { x: 1 }, score: 0.1 }))).accepted).toBe(1);
    await a.services.monitoring.service.flush();
    expect((await b.services.monitoring.service.ingest(JSON.stringify({ type: 'feedback', model: 'm', requestId: 'y', label: 0 }))).feedback).toBe(1);
  }, 120_000);
});
