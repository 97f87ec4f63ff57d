/**
 * End-to-end scenario on the Adult census data: a logistic regression trained in-process serves
 * adult-test rows as-is, then with capital-gain scaled ×3, then only people aged 50+. Drift must
 * flag exactly the shifted column, labels must reveal the accuracy drop, and a maintenance rule
 * must roll the channel back after the configured number of windows.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatCsv, mulberry32, parseCsv, predictProba, trainLogisticRegression, type RawTable } from '@steward/core';
import { sha256, startHarness, type Harness } from '../../testing/api-harness.ts';
import { testDbTargets } from '../../testing/test-dbs.ts';

const ADULT = fileURLToPath(new URL('../../../../../../shared/datasets/adult/', import.meta.url));
const MIN = 60_000;
const sqlite = testDbTargets()[0]!;

describe('Adult monitoring scenario', () => {
  let h: Harness;
  let cleanup: () => Promise<void>;
  let test: RawTable;
  const M = Math.floor(Date.now() / MIN) * MIN;
  const post = (lines: unknown[]) => h.call('POST', 'events', { body: lines.map((l) => JSON.stringify(l)).join('\n'), headers: { 'content-type': 'application/x-ndjson' } });

  beforeAll(async () => {
    const t = await sqlite.create!();
    cleanup = t.cleanup;
    h = await startHarness(t.url);
    const train = parseCsv(readFileSync(`${ADULT}adult-train.csv`, 'utf8'));
    test = parseCsv(readFileSync(`${ADULT}adult-test.csv`, 'utf8'));
    const model = trained();
    // Reference = training rows with the model's score, registered as the version's dataset.
    const trainScores = predictProba(model, train);
    const refCsv = formatCsv({ header: [...train.header, 'score'], rows: train.rows.map((r, i) => [...r, String(trainScores[i])]) });
    const bytes = new TextEncoder().encode(refCsv);
    const digest = sha256(bytes);
    expect((await h.call('PUT', `blobs/${digest}`, { body: bytes, headers: { 'content-length': String(bytes.length) } })).status).toBeLessThan(300);
    await h.call('POST', 'models', { json: { name: 'adult' } });
    for (const v of ['1.0.0', '1.1.0']) {
      expect((await h.push('adult', v, { 'model.json': JSON.stringify({ version: v }) }, { datasets: [{ name: 'train', sha256: digest, size: bytes.length }] })).status).toBe(201);
    }
    await h.call('PUT', 'models/adult/channels/production', { json: { version: '1.0.0' } });
    await h.call('PUT', 'models/adult/channels/production', { json: { version: '1.1.0' } });
    const ref = await h.call('POST', 'models/adult/versions/1.1.0/reference', { json: { dataset: 'train', label: 'income', positiveClass: '>50K', score: 'score' } });
    expect(ref.status, JSON.stringify(ref.data)).toBe(200);
    expect(ref.data.performance.calibrated).toBe(true);
  }, 60_000);
  afterAll(async () => {
    await h?.close();
    await cleanup?.();
  });

  const col = (name: string) => test.header.indexOf(name);
  let served: Array<{ id: string; label: 0 | 1 }> = [];

  /** Serve `rows` (indexes into adult-test, optionally transformed) spread over the given minutes. */
  async function serve(phase: string, idx: number[], minutes: number[], transform: (r: string[]) => string[] = (r) => r) {
    const rows = idx.map((i) => transform([...(test.rows[i] as string[])]));
    const p = predictProba(trained(), { header: test.header, rows });
    const events = rows.map((r, k) => {
      const features: Record<string, number | string | null> = {};
      test.header.forEach((h, j) => {
        if (h === 'income') return;
        const v = r[j] as string;
        features[h] = v === '?' ? null : /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v; // '?' marks a missing cell in Adult
      });
      const id = `${phase}-${k}`;
      served.push({ id, label: (r[col('income')] as string).startsWith('>50K') ? 1 : 0 });
      return {
        type: 'prediction', model: 'adult', version: '1.1.0', channel: 'production', requestId: id,
        time: new Date((minutes[k % minutes.length] as number) + 1000 + (k % 50)).toISOString(),
        features, score: p[k], latencyMs: 2 + (k % 7), groups: { sex: r[col('sex')] as string },
      };
    });
    for (let i = 0; i < events.length; i += 1000) {
      const res = await post(events.slice(i, i + 1000));
      expect(res.status).toBe(200);
      expect(res.data.rejected).toBe(0);
    }
  }
  let cached: ReturnType<typeof trainLogisticRegression> | undefined;
  const trained = () => (cached ??= trainLogisticRegression(parseCsv(readFileSync(`${ADULT}adult-train.csv`, 'utf8')), { label: 'income', positiveClass: '>50K' }));

  const range = (from: number, to: number) => `since=${new Date(from).toISOString()}&until=${new Date(to).toISOString()}`;

  it('flags drift on the shifted column only, sees the accuracy drop with labels, and rolls back', async () => {
    const rng = mulberry32(5);
    const all = test.rows.map((_, i) => i).sort(() => rng.next() - 0.5);
    const old = all.filter((i) => Number(test.rows[i]![col('age')]) >= 50);
    const cg = col('capital-gain');
    await serve('asis', all.slice(0, 4000), [M - 12 * MIN, M - 11 * MIN, M - 10 * MIN, M - 9 * MIN]);
    await serve('cg', all.slice(4000, 8500), [M - 8 * MIN, M - 7 * MIN, M - 6 * MIN], (r) => r.map((v, j) => (j === cg ? String(Number(v) * 3) : v)));
    await serve('old', old.slice(0, 2400), [M - 5 * MIN, M - 4 * MIN, M - 3 * MIN, M - 2 * MIN]);

    const drifted = async (from: number, to: number) => {
      const d = await h.call('GET', `models/adult/versions/1.1.0/drift?${range(from, to)}`);
      expect(d.status).toBe(200);
      return d.data.columns.filter((c: { drifted: boolean }) => c.drifted).map((c: { name: string }) => c.name);
    };
    expect(await drifted(M - 12 * MIN, M - 8 * MIN)).toEqual([]);
    expect(await drifted(M - 8 * MIN, M - 5 * MIN)).toEqual(['capital-gain']);
    expect(await drifted(M - 5 * MIN, M - MIN)).toContain('age');

    // A rule on accuracy cannot fire before labels arrive.
    const rules = [
      'rules:',
      '  - name: accuracy-drop',
      '    channel: production',
      '    window: 1m',
      '    when: accuracy < reference.accuracy - 0.03',
      '    for: 3',
      '    minCount: 100',
      '    cooldown: 1h',
      '    do: rollback',
    ].join('\n');
    expect((await h.call('PUT', 'models/adult/rules', { body: rules, headers: { 'content-type': 'application/yaml' } })).status).toBe(200);
    const before = await h.call('POST', 'models/adult/rules/evaluate');
    expect(before.data.outcomes[0]).toMatchObject({ rule: 'accuracy-drop', fired: false });

    // Labels arrive (late), joined by request id.
    for (let i = 0; i < served.length; i += 2000) {
      const res = await post(served.slice(i, i + 2000).map((s) => ({ type: 'feedback', model: 'adult', requestId: s.id, label: s.label })));
      expect(res.data).toMatchObject({ rejected: 0 });
    }
    const perf = async (from: number, to: number) => (await h.call('GET', `models/adult/versions/1.1.0/performance?${range(from, to)}`)).data;
    const a = await perf(M - 12 * MIN, M - 8 * MIN);
    const c = await perf(M - 5 * MIN, M - MIN);
    expect(a.realized.accuracy).toBeGreaterThan(0.83);
    expect(c.realized.accuracy).toBeLessThan(a.realized.accuracy - 0.03);
    expect(Math.abs(a.estimated.accuracy - a.realized.accuracy)).toBeLessThan(0.02); // CBPE on calibrated scores
    expect(a.estimated.trustworthy).toBe(true);

    const fair = await h.call('GET', `models/adult/versions/1.1.0/fairness?attr=sex&${range(M - 12 * MIN, M - 8 * MIN)}`);
    expect(fair.data.demographicParityDifference).toBeGreaterThan(0.1); // the model selects men far more often
    expect(fair.data.ci.demographicParityDifference.low).toBeLessThan(fair.data.demographicParityDifference);

    const fired = await h.call('POST', 'models/adult/rules/evaluate');
    expect(fired.data.outcomes[0]).toMatchObject({ fired: true, version: '1.1.0', result: { from: '1.1.0', to: '1.0.0' } });
    expect(fired.data.outcomes[0].evaluatedWindows).toHaveLength(3);
    expect((await h.call('GET', 'models/adult/channels/production')).data.table.stable).toBe('1.0.0');
    const history = await h.call('GET', 'models/adult/channels/production/history');
    expect(history.data.items[0]).toMatchObject({ kind: 'rollback', author: 'maintenance' });
    expect(history.data.items[0].reason).toMatch(/accuracy-drop/);
    const audit = await h.db.kysely.selectFrom('audit_events').selectAll().where('action', '=', 'maintenance.rollback').execute();
    expect(audit).toHaveLength(1);
    expect(JSON.parse(audit[0]!.details).rule).toBe('accuracy-drop');
    // Hysteresis: it does not fire again while armed-off.
    const again = await h.call('POST', 'models/adult/rules/evaluate');
    expect(again.data.outcomes[0].fired).toBe(false);
  }, 120_000);
});
