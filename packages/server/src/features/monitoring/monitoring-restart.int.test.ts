import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { Adwin, Ddm, PageHinkley } from '@steward/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb } from '../../db/connect.ts';
import { spawnServer } from '../../testing/child-server.ts';
import { testDbTargets } from '../../testing/test-dbs.ts';

type Server = Awaited<ReturnType<typeof spawnServer>>;

const client = (s: Server) => async (method: string, path: string, body?: unknown, ndjson = false) => {
  const headers: Record<string, string> = { authorization: `Bearer ${s.token}` };
  if (body !== undefined) headers['content-type'] = ndjson ? 'application/x-ndjson' : 'application/json';
  const res = await fetch(`${s.url}/api/v1/${path}`, {
    method, headers,
    ...(body !== undefined ? { body: ndjson ? (body as unknown[]).map((l) => JSON.stringify(l)).join('\n') : JSON.stringify(body) } : {}),
  });
  return { status: res.status, data: (await res.json().catch(() => null)) as any };
};

for (const target of testDbTargets()) {
  const d = target.create ? describe : describe.skip;
  d(`monitoring state across a SIGKILL on ${target.name}`, () => {
    let dir: string;
    let db: { url: string; cleanup: () => Promise<void> };
    const servers: Server[] = [];
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'steward-mon-restart-'));
      db = await target.create!();
    });
    afterAll(async () => {
      for (const s of servers) await s.kill();
      await db?.cleanup();
      rmSync(dir, { recursive: true, force: true });
    });
    const start = async () => {
      const s = await spawnServer(dir, db.url);
      servers.push(s);
      return s;
    };

    it('joins labels of predictions flushed before the kill, and the detectors keep counting', async () => {
      const s1 = await start();
      let call = client(s1);
      expect((await call('POST', 'models', { name: 'm' })).status).toBe(201);
      const bytes = new TextEncoder().encode('weights');
      const sha = createHash('sha256').update(bytes).digest('hex');
      await fetch(`${s1.url}/api/v1/blobs/${sha}`, { method: 'PUT', headers: { authorization: `Bearer ${s1.token}`, 'content-length': String(bytes.length) }, body: bytes });
      const draft = await call('POST', 'models/m/drafts', { version: '1.0.0' });
      await call('PUT', `models/m/drafts/${draft.data.id}/files`, { files: [{ path: 'w.bin', sha256: sha, size: bytes.length }] });
      expect((await call('POST', `models/m/drafts/${draft.data.id}/commit`)).status).toBe(201);

      // Every prediction in one minute window; odd request numbers are predicted positive.
      const t0 = Math.floor(Date.now() / 60_000) * 60_000 - 120_000;
      const prediction = (id: string, i: number) => ({ type: 'prediction', model: 'm', version: '1.0.0', requestId: id, time: new Date(t0 + i).toISOString(), features: { x: i }, score: i % 2 ? 0.9 : 0.1 });
      const label = (i: number, label: number) => ({ type: 'feedback', model: 'm', requestId: `p${i}`, label });
      const range = (a: number, b: number) => Array.from({ length: b - a }, (_, k) => a + k);
      const post = async (lines: unknown[]) => (await call('POST', 'events', lines, true)).data;
      const flush = async () => (await call('GET', 'models/m/monitor?version=1.0.0&window=1m&since=1h')).data.items;

      expect(await post(range(0, 60).map((i) => prediction(`p${i}`, i)))).toMatchObject({ accepted: 60 });
      // Labels joined in memory before anything is stored: 10 correct.
      expect(await post(range(40, 50).map((i) => label(i, i % 2)))).toMatchObject({ accepted: 10 });
      await flush();
      // Labels of stored predictions, in the process that made them: 5 wrong.
      expect(await post(range(50, 55).map((i) => label(i, 1 - (i % 2))))).toMatchObject({ accepted: 5 });
      expect((await flush())[0].metrics).toMatchObject({ count: 60, labelled: 15 });
      await s1.kill();

      const s2 = await start();
      call = client(s2);
      // Labels of predictions made before the kill: all "1", so odd ones are right, even ones wrong.
      const res = await post([...range(0, 40).map((i) => label(i, 1)), label(50, 0), label(45, 1), { type: 'feedback', model: 'm', requestId: 'never', label: 1 }]);
      expect(res).toMatchObject({ accepted: 40, rejected: 3, reasons: { unknown_request: 3 } });
      expect(await post(range(0, 30).map((i) => prediction(`q${i}`, i)))).toMatchObject({ accepted: 30 });
      const [w] = await flush();
      // TP 5+20, TN 5, FP 2 (p51, p53), FN 3+20 (p50, p52, p54 and the even p0..p38).
      expect(w.metrics).toMatchObject({ count: 90, labelled: 55 });
      expect(w.metrics.accuracy).toBeCloseTo(30 / 55, 12);
      expect(w.metrics.precision).toBeCloseTo(25 / 27, 12);
      expect(w.metrics.recall).toBeCloseTo(25 / 48, 12);

      // Detector state as the live server stored it at that flush: the counts continue across the kill.
      const reader = await openDb(db.url);
      try {
        const rows = await sql<{ state: string }>`select state from monitoring_detectors where model = 'm' and version = '1.0.0'`.execute(reader.kysely);
        const state = JSON.parse(rows.rows[0]!.state);
        // The same streams fed to detectors that never restarted: errors in label order, scores in prediction order.
        const errors = [...range(40, 50).map(() => 0), ...range(50, 55).map(() => 1), ...range(0, 40).map((i) => (i % 2 ? 0 : 1))];
        const scores = [...range(0, 60), ...range(0, 30)].map((i) => (i % 2 ? 0.9 : 0.1));
        const ddm = new Ddm();
        const adwin = new Adwin();
        const ph = new PageHinkley();
        for (const e of errors) (ddm.update(e), adwin.update(e));
        for (const x of scores) ph.update(x);
        expect(state.adwin.tick).toBe(55); // a restart from scratch would say 40
        expect(state.pageHinkley.n).toBe(90); // from scratch: 30
        expect(state).toEqual(JSON.parse(JSON.stringify({ ddm: ddm.toState(), adwin: adwin.toState(), pageHinkley: ph.toState() })));
        // 55 labels: p40..p49 joined before their segment was written; the other 45 claimed a stored prediction.
        const claims = await sql<{ n: number }>`select count(*) as n from monitoring_pending_claims where model = 'm'`.execute(reader.kysely);
        expect(Number(claims.rows[0]!.n)).toBe(45);
        const segments = await sql<{ n: number }>`select sum(count) as n from monitoring_pending_segments where model = 'm'`.execute(reader.kysely);
        expect(Number(segments.rows[0]!.n)).toBe(50 + 30); // p40..p49 were never written
      } finally {
        await reader.close();
      }
    }, 120_000);
  });
}
